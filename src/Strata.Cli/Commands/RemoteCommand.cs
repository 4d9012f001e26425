using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Strata.Client;
using Strata.Core.Errors;

namespace Strata.Cli.Commands;

/// <summary>
/// What every command that drives a running server over its REST API shares: the <c>--tracking-uri</c> option, the
/// SDK client, error lines and exit codes, and printing answers as indented JSON.
/// </summary>
internal static class RemoteCommand
{
    public static Option<string?> TrackingUri() =>
        new("--tracking-uri") { Description = "The Strata server (default env MLFLOW_TRACKING_URI, else http://127.0.0.1:5000)." };

    /// <summary>Runs <paramref name="work"/> with a client; a bad argument exits 2, an API or network error 1.</summary>
    public static async Task<int> RunAsync(string? trackingUri, Func<StrataClient, Task> work)
    {
        var uri = trackingUri ?? Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI") ?? "http://127.0.0.1:5000";
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || (parsed.Scheme != "http" && parsed.Scheme != "https"))
        {
            CliConsole.Error($"--tracking-uri must be an http(s) URL, got '{uri}'.");
            return ExitCodes.Configuration;
        }

        // Credentials as MLflow reads them: MLFLOW_TRACKING_TOKEN, else MLFLOW_TRACKING_USERNAME/PASSWORD.
        using var client = StrataClient.Create(new StrataClientOptions { TrackingUri = parsed, MaxRetryAttempts = 1 }.ApplyEnvironment());
        try
        {
            await work(client).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (MlflowException e)
        {
            CliConsole.Error(e.Message);
            return ExitCodes.Configuration;
        }
        catch (StrataApiException e)
        {
            CliConsole.Error($"{e.ErrorCode}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (HttpRequestException e)
        {
            CliConsole.Error($"cannot reach {uri}: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    public static void Print(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>Prints every item of a listing as <c>{"property": [...]}</c>, each written by <paramref name="write"/>.</summary>
    public static async Task PrintAllAsync<T>(IAsyncEnumerable<T> items, string property, Action<Utf8JsonWriter, T> write)
    {
        var all = new List<T>();
        await foreach (var item in items.ConfigureAwait(false))
        {
            all.Add(item);
        }

        Print(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray(property);
            foreach (var item in all)
            {
                write(w, item);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Prints a JSON text the server returned, indented.</summary>
    public static void PrintJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Print(doc.WriteTo);
    }
}
