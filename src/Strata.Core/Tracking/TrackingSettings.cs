namespace Strata.Core.Tracking;

/// <summary>Server-wide tracking settings the service needs.</summary>
/// <param name="DefaultArtifactRoot">Root under which experiments get <c>&lt;root&gt;/&lt;id&gt;</c> when they name no location.</param>
public sealed record TrackingSettings(string DefaultArtifactRoot);
