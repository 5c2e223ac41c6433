namespace LeaseBoard.Domain;

/// <summary>One execution of the test inside a lease, fenced by the token it was started with.</summary>
public sealed class TestRun : IVersioned
{
    public int Id { get; set; }
    public int ReservationId { get; set; }
    public Reservation? Reservation { get; set; }
    public int EnvironmentId { get; set; }

    public long FencingToken { get; set; }
    public string? FrameworkRunId { get; set; }
    public TestRunState State { get; set; } = TestRunState.Starting;

    public DateTime StartedUtc { get; set; }
    public DateTime? LastHeartbeatUtc { get; set; }
    public DateTime? LastProgressUtc { get; set; }
    public DateTime? StopRequestedUtc { get; set; }
    public DateTime? EndedUtc { get; set; }
    public int ProgressPercent { get; set; }
    public string? Detail { get; set; }
    public int StartAttempts { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();
}

public enum TestRunState { Starting, Running, Stopping, Succeeded, Failed, Hung, Killed, TimedOut, Lost }
