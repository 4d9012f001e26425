using System.Net;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Webhooks;

/// <summary>Bad webhook requests: MLflow's error code and a message naming the field, never a 500.</summary>
public sealed class WebhooksValidationTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = "/api/2.0/mlflow/";

    private StrataTestServer Server => fixture.Server;

    [Theory]
    [InlineData("""{"url": "https://e.com/x", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "-bad", "url": "https://e.com/x", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "h", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "h", "url": "ftp://e.com/x", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "h", "url": "http://169.254.169.254/latest/meta-data/", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": []}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x"}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": [{"entity": "MODEL_VERSION", "action": "SET"}]}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": [{"entity": "RUN", "action": "CREATED"}]}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": [{"entity": "MODEL_VERSION"}]}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": ["MODEL_VERSION.CREATED"]}""")]
    [InlineData("""{"name": "h", "url": "https://e.com/x", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}], "status": "SLEEPING"}""")]
    public async Task Invalid_webhooks_are_400_with_the_field_named(string body) =>
        (await Server.PostAsync(Api + "webhooks", body)).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

    [Fact]
    public async Task List_bounds_are_checked() =>
        (await Server.GetAsync($"{Api}webhooks?max_results=1001")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
}
