using System.Text.RegularExpressions;
using Strata.Core.Tracking;

namespace Strata.Core.Tests.Tracking;

public sealed class RunNameGeneratorTests
{
    [Fact]
    public void Names_are_adjective_noun_number_and_valid_logged_model_names()
    {
        var generator = new RunNameGenerator(new Random(42));
        for (var i = 0; i < 200; i++)
        {
            var name = generator.Next();
            Assert.Matches(new Regex("^[a-z]+-[a-z]+-[0-9]{1,3}$"), name);
            TrackingValidation.ValidateLoggedModelName(name);
        }
    }

    [Fact]
    public void Ids_have_mlflow_formats()
    {
        Assert.Matches(new Regex("^[0-9a-f]{32}$"), TrackingIds.NewRunId());
        Assert.Matches(new Regex("^m-[0-9a-f]{32}$"), TrackingIds.NewLoggedModelId());
        Assert.NotEqual(TrackingIds.NewRunId(), TrackingIds.NewRunId());
    }
}
