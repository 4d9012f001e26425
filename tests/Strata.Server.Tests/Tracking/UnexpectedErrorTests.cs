using System.Net;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Tracking;
using Strata.Server.Tests.Infrastructure;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Server.Tests.Tracking;

public sealed class UnexpectedErrorTests
{
    [Fact]
    public async Task A_store_failure_is_500_internal_error_without_details()
    {
        await using var server = await StrataTestServer.StartAsync(configureBuilder: builder =>
            builder.Services.AddSingleton<ITrackingStore>(sp => FailingStore.Wrap(new TrackingStore(sp.GetRequiredService<IDatabase>()), nameof(ITrackingStore.GetRunAsync))));

        var runId = await server.CreateRunIdAsync("0");
        var response = await server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={runId}");
        response.IsError(HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
        Assert.DoesNotContain("secret", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", response.Text, StringComparison.Ordinal);
    }

    /// <summary>Passes every call to the real store except one method, which throws.</summary>
    public class FailingStore : DispatchProxy
    {
        private ITrackingStore _inner = null!;
        private string _failing = string.Empty;

        public static ITrackingStore Wrap(ITrackingStore inner, string failingMethod)
        {
            var proxy = Create<ITrackingStore, FailingStore>();
            var failing = (FailingStore)(object)proxy;
            failing._inner = inner;
            failing._failing = failingMethod;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == _failing)
            {
                throw new InvalidOperationException("a secret internal detail");
            }

            return targetMethod.Invoke(_inner, args);
        }
    }
}
