namespace Strata.Server.Artifacts;

/// <summary>The artifact proxy's settings (MLflow's <c>--serve-artifacts</c> and <c>--artifacts-destination</c>).</summary>
public sealed class ArtifactsOptions
{
    /// <summary>When false the proxy endpoints answer 503 with a plain-text body.</summary>
    public bool ServeArtifacts { get; set; } = true;

    /// <summary>A local folder, a <c>file:</c> URI or <c>s3://bucket/prefix</c>.</summary>
    public string ArtifactsDestination { get; set; } = "./mlartifacts";

    /// <summary>
    /// fsync uploads to a local destination before they become visible (durable across a power loss). Inside the
    /// server it follows <c>--artifacts-fsync</c> (off by default: atomic, not power-loss durable, as MLflow).
    /// </summary>
    public bool SyncLocalWrites { get; set; } = true;

    /// <summary>Temporary upload files older than this are removed at start (left by a process that died).</summary>
    public TimeSpan StaleUploadAge { get; set; } = TimeSpan.FromDays(1);
}
