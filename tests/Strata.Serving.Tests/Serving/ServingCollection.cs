namespace Strata.Serving.Tests.Serving;

/// <summary>The serving tests share one set of trained models and running servers.</summary>
[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<ServingFixture>
{
    public const string Name = "serving";
}
