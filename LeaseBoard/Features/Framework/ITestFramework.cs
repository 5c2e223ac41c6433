using LeaseBoard.Domain;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// All LeaseBoard knows of the black-box test framework that starts, watches and stops tests.
/// Implementations: <see cref="SimulatedTestFramework"/> (the default) and ProcessTestFramework;
/// the app always reaches them through <see cref="ResilientTestFramework"/> (timeouts, read retries).
/// Failures are reported as <see cref="TestFrameworkException"/> (or a timeout).
/// </summary>
public interface ITestFramework
{
    /// <summary>Starts the test; returns the framework's id of the run.</summary>
    Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct);

    Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct);

    /// <summary>Asks the run to stop (graceful) or kills it (force). Returns once the request was delivered.</summary>
    Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct);

    Task<HealthReport> CheckHealthAsync(string environmentKey, CancellationToken ct);

    /// <summary>Resets the environment to a clean state after a lease; refuses a stale fencing token.</summary>
    Task ResetEnvironmentAsync(string environmentKey, long fencingToken, CancellationToken ct);

    /// <summary>The runs the framework believes are still going, on every environment (to find orphans).</summary>
    Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct);
}

public sealed record StartRunRequest(
    string EnvironmentKey, int ReservationId, long FencingToken, TestKind TestKind, string TestSpec, DateTime DeadlineUtc);

public enum RunPhase { Running, Succeeded, Failed, Unknown }

/// <summary>What the framework says of a run. <see cref="LastActivityUtc"/> is its last sign of life (heartbeat or progress).</summary>
public sealed record RunStatus(RunPhase Phase, int ProgressPercent, DateTime? LastActivityUtc, string? Detail = null)
{
    public static RunStatus Unknown(string detail) => new(RunPhase.Unknown, 0, null, detail);
}

public sealed record HealthReport(HealthStatus Status, TimeSpan Latency, string Detail);

public sealed record ActiveRun(string EnvironmentKey, string RunId);

/// <summary>The framework refused or failed an operation; <see cref="Exception.Message"/> is readable by an operator.</summary>
public class TestFrameworkException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A start or reset carried a fencing token older than the newest one seen for that environment.</summary>
public sealed class StaleFencingTokenException(string environmentKey, long token, long newest)
    : TestFrameworkException($"Fencing token {token} for {environmentKey} is stale: token {newest} was already issued. The request was refused.")
{
    public long Token { get; } = token;
    public long Newest { get; } = newest;
}

/// <summary>
/// Faults played into a driver for demos and drills. Only the simulated driver can; the others answer
/// <see cref="Available"/> false and do nothing.
/// </summary>
public interface IFaultInjection
{
    bool Available { get; }
    FaultProfile FaultsOf(string environmentKey);
    void SetFaults(string environmentKey, FaultProfile faults);
    /// <summary>Makes the environment's current run hang; false when it has none.</summary>
    bool HangCurrentRun(string environmentKey);
}

/// <summary>The fault injection of a driver that has none.</summary>
public sealed class NoFaultInjection : IFaultInjection
{
    public bool Available => false;
    public FaultProfile FaultsOf(string environmentKey) => new();
    public void SetFaults(string environmentKey, FaultProfile faults) { }
    public bool HangCurrentRun(string environmentKey) => false;
}
