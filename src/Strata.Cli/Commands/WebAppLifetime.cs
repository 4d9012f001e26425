using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Strata.Server;

namespace Strata.Cli.Commands;

/// <summary>
/// Runs a built web app the way every long-running <c>strata</c> command does: start, print one line per
/// address it listens on, wait for Ctrl-C/SIGTERM, stop, and turn start-up failures into exit codes.
/// </summary>
internal static class WebAppLifetime
{
    /// <param name="banner">The line printed for each listening address.</param>
    /// <param name="startFailure">
    /// Maps a command-specific start-up failure to an exit code after printing it; null when the exception is not one
    /// the command knows (it then propagates).
    /// </param>
    public static async Task<int> RunAsync(
        WebApplication app, string host, int port, Func<string, string> banner, Func<Exception, int?>? startFailure, CancellationToken ct)
    {
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(ct).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Kestrel reports a taken port or a bad address as an IOException.
                CliConsole.Error($"cannot listen on {host}:{port}: {ex.Message}");
                return ExitCodes.Configuration;
            }
            catch (Exception ex) when (startFailure?.Invoke(ex) is int code)
            {
                return code;
            }

            foreach (var address in app.ListeningAddresses())
            {
                Console.WriteLine(banner(address));
            }

            await app.WaitForShutdownAsync(ct).ConfigureAwait(false);
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
