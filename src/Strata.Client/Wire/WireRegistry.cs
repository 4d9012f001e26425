using System.Globalization;
using Strata.Core.Registry;

namespace Strata.Client.Wire;

internal sealed record WireRegisteredModelAlias(string? Alias, string? Version);

internal sealed record WireModelVersion(
    string? Name,
    string? Version,
    long? CreationTimestamp,
    long? LastUpdatedTimestamp,
    string? UserId,
    string? CurrentStage,
    string? Description,
    string? Source,
    string? RunId,
    ModelVersionStatus? Status,
    string? StatusMessage,
    List<WireKeyValue>? Tags,
    string? RunLink,
    List<string>? Aliases,
    string? ModelId)
{
    public ModelVersion ToCore() => new(
        Name ?? "",
        ParseVersion(Version),
        CreationTimestamp ?? 0,
        LastUpdatedTimestamp ?? 0,
        UserId,
        CurrentStage ?? "None",
        Description,
        Source ?? "",
        RunId,
        Status ?? ModelVersionStatus.READY,
        StatusMessage,
        Tags.ToCore(),
        RunLink,
        Aliases ?? [],
        ModelId,
        StorageLocation: null);

    /// <summary>Versions are decimal strings on the wire (spec §2) and integers in Core.</summary>
    internal static long ParseVersion(string? version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"The server sent model version '{version}', which is not a decimal number.");
}

internal sealed record WireRegisteredModel(
    string? Name,
    long? CreationTimestamp,
    long? LastUpdatedTimestamp,
    string? UserId,
    string? Description,
    List<WireModelVersion>? LatestVersions,
    List<WireKeyValue>? Tags,
    List<WireRegisteredModelAlias>? Aliases)
{
    public RegisteredModel ToCore() => new(
        Name ?? "",
        CreationTimestamp ?? 0,
        LastUpdatedTimestamp ?? 0,
        UserId,
        Description,
        LatestVersions?.Select(v => v.ToCore()).ToList() ?? [],
        Tags.ToCore(),
        Aliases?.Select(a => new RegisteredModelAlias(a.Alias ?? "", WireModelVersion.ParseVersion(a.Version))).ToList() ?? []);
}
