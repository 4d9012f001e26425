namespace Strata.Client.Artifacts;

/// <summary>One entry of a listing. <see cref="FileSize"/> is null for directories (and, per MLflow, 0-byte files).</summary>
public sealed record ArtifactFileInfo(string Path, bool IsDir, long? FileSize);

public sealed record ArtifactListing(string RootUri, IReadOnlyList<ArtifactFileInfo> Files);
