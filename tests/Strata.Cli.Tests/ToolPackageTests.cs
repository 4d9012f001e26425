using System.Diagnostics;
using System.Reflection;

namespace Strata.Cli.Tests;

/// <summary>
/// <c>dotnet pack</c> makes the CLI a .NET tool package that <c>dotnet tool install --add-source</c> installs as a
/// working <c>strata</c> command. Packs the already-built CLI (no rebuild) and installs from that folder only.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("strata-tool-");

    [Fact]
    public async Task The_packed_tool_installs_into_a_folder_and_prints_its_version()
    {
        var version = typeof(CliConsole).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var project = Path.Combine(RepositoryRoot(), "src", "Strata.Cli", "Strata.Cli.csproj");
        var packages = Path.Combine(_temp.FullName, "artifacts");
        var tools = Path.Combine(_temp.FullName, "tools");
        // Only the packed folder as a source: the install neither reaches out nor picks up another "strata".
        var config = Path.Combine(_temp.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """);

        await RunAsync("dotnet", "pack", project, "-c", configuration, "--no-build", "-o", packages, "-p:IncludeSymbols=false");
        Assert.True(File.Exists(Path.Combine(packages, $"strata.{version}.nupkg")));
        await RunAsync("dotnet", "tool", "install", "strata", "--tool-path", tools, "--add-source", packages, "--configfile", config, "--version", version);

        var output = await RunAsync(Path.Combine(tools, OperatingSystem.IsWindows() ? "strata.exe" : "strata"), "--version");
        Assert.StartsWith(version, output.Trim(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            _temp.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Strata.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Strata.slnx above {AppContext.BaseDirectory}.");
    }

    private async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _temp.FullName,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stdout} {await stderr}");
        return await stdout;
    }
}
