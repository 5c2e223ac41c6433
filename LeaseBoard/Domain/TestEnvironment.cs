namespace LeaseBoard.Domain;

/// <summary>One dedicated environment that a single test at a time may lease.</summary>
public sealed class TestEnvironment : IVersioned
{
    public int Id { get; set; }
    public required string Key { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public int SortOrder { get; set; }

    public EnvironmentState State { get; set; } = EnvironmentState.Available;
    /// <summary>When <see cref="State"/> last changed: how long a cleanup has been going, how long it has been leased.</summary>
    public DateTime? StateSinceUtc { get; set; }
    public HealthStatus Health { get; set; } = HealthStatus.Unknown;
    public DateTime? LastHealthCheckUtc { get; set; }
    public int? HealthLatencyMs { get; set; }
    public string? HealthDetail { get; set; }
    public int ConsecutiveHealthFailures { get; set; }

    public string? QuarantineReason { get; set; }
    public string? QuarantinedBy { get; set; }
    public DateTime? QuarantinedAtUtc { get; set; }

    /// <summary>Last fencing token issued for a run on this environment; only ever grows.</summary>
    public long FenceCounter { get; set; }

    /// <summary>Bumped by every booking on this environment: the UPDATE is the row lock that queues bookings.</summary>
    public long BookingVersion { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();

    /// <summary>
    /// How the engine's quarantine reason begins when a person must look (a stop that failed, a framework that does
    /// not answer): the wall shows such an environment as needing attention, not as calmly out of service.
    /// </summary>
    public const string NeedsAttentionPrefix = "Needs attention:";

    public static bool ReasonNeedsAttention(string? quarantineReason) =>
        quarantineReason?.StartsWith(NeedsAttentionPrefix, StringComparison.Ordinal) == true;

    public bool IsBookable => State is not (EnvironmentState.Quarantined or EnvironmentState.Retired);
}

public enum EnvironmentState { Available, Leased, CleaningUp, Quarantined, Retired }

public enum HealthStatus { Unknown, Healthy, Degraded, Unhealthy }
