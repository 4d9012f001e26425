namespace Strata.Server.Policies;

/// <summary>How promotion policies run (part of <see cref="Hosting.StrataServerOptions"/>).</summary>
public sealed class PoliciesOptions
{
    /// <summary>How often new versions are picked up and running canaries are checked.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed decision is this process's; a process that dies mid-decision loses it after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}
