using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Client.Models;

/// <summary>What logging a model produced: the READY logged model and, when registration was asked, its new version.</summary>
public sealed record LoggedModelResult(LoggedModel Model, ModelVersion? RegisteredVersion)
{
    public string ModelId => Model.Info.ModelId;

    /// <summary>The <c>models:/m-...</c> reference that loads this model.</summary>
    public string ModelUri => "models:/" + Model.Info.ModelId;
}
