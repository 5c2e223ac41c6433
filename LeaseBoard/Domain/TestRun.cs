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
    /// <summary>Why the engine is stopping the run; decides its final state.</summary>
    public RunStopReason? StopReason { get; set; }
    /// <summary>0 none, 1 graceful stop sent, 2 force stop sent.</summary>
    public int StopAttempts { get; set; }
    /// <summary>When the engine must look at this run again: the next start attempt, or the end of a stop's grace period.</summary>
    public DateTime? NextActionUtc { get; set; }
    public DateTime? EndedUtc { get; set; }
    public int ProgressPercent { get; set; }
    public string? Detail { get; set; }
    public int StartAttempts { get; set; }
    /// <summary>Who or what ended the run the way it ended; null while it is open.</summary>
    public RunAttribution? Attribution { get; set; }

    public Guid Version { get; set; } = Guid.NewGuid();
}

public enum TestRunState { Starting, Running, Stopping, Succeeded, Failed, Hung, Killed, TimedOut, Lost }

/// <summary>
/// Who or what a finished run's end is due to: <see cref="Test"/> (the test failed on a healthy environment),
/// <see cref="Infrastructure"/> (the environment or the framework failed under it: unhealthy during the run, reset
/// failed or unhealthy after it, framework unreachable, run lost), <see cref="Hung"/>, <see cref="Overran"/> (still
/// running at the slot's end), <see cref="Stopped"/> (by its owner or an admin), or <see cref="Passed"/>.
/// </summary>
public enum RunAttribution { Passed, Test, Infrastructure, Hung, Overran, Stopped }

public enum RunStopReason { Hung, Deadline, Released, ForceReleased, Orphan }

public static class TestRunStates
{
    /// <summary>States in which the engine still has work to do for the run.</summary>
    public static readonly TestRunState[] Open = [TestRunState.Starting, TestRunState.Running, TestRunState.Stopping];

    public static bool IsOpen(this TestRunState state) => Open.Contains(state);
}
