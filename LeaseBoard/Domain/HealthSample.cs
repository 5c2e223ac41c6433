namespace LeaseBoard.Domain;

/// <summary>One health probe result, kept for the wall's history and pruned by the supervise job.</summary>
public sealed class HealthSample
{
    public long Id { get; set; }
    public int EnvironmentId { get; set; }
    public DateTime AtUtc { get; set; }
    public HealthStatus Status { get; set; }
    public int LatencyMs { get; set; }
}
