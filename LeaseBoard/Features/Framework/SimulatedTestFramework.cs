using System.Globalization;
using System.Text.RegularExpressions;
using LeaseBoard.Domain;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The default framework: runs progress in time read from <see cref="TimeProvider"/> (so tests drive
/// them with a fake clock), and each environment can play faults — hang, crash, failing start,
/// slow or failing health, failing reset, unresponsive stop. Like a real framework it lives outside
/// LeaseBoard: its runs, fencing tokens and injected faults are kept in its own store
/// (<see cref="SimulatedFrameworkOptions.StatePath"/>), so a run goes on while the app is down and is
/// known by its id after a restart, and every LeaseBoard instance sees the same runs. Starts are
/// idempotent by (environment, fencing token); stale tokens are refused, across restarts.
/// </summary>
public sealed partial class SimulatedTestFramework : ITestFramework, IFaultInjection
{
    /// <summary>A run this old is forgotten (its id becomes unknown); no slot lasts anywhere near as long.</summary>
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly TimeProvider _clock;
    private readonly SimulatedFrameworkOptions _options;
    private readonly Lazy<SimulatedFrameworkStore> _store;
    private long _lastPruneTicks;

    public SimulatedTestFramework(IOptions<SimulatedFrameworkOptions> options, TimeProvider clock)
    {
        _clock = clock;
        _options = options.Value;
        // Opened on first use: an app on the Process driver never creates the file.
        _store = new(() => new SimulatedFrameworkStore(string.IsNullOrWhiteSpace(_options.StatePath)
            ? throw new InvalidOperationException($"{SimulatedFrameworkOptions.Section}:StatePath is empty: set the simulated framework's state file.")
            : _options.StatePath));
    }

    private SimulatedFrameworkStore Store => _store.Value;
    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>The faults injected at run time, else those in configuration.</summary>
    public FaultProfile FaultsOf(string environmentKey) => Store.Read(c => FaultsOf(c, environmentKey));

    private FaultProfile FaultsOf(Microsoft.Data.Sqlite.SqliteConnection connection, string environmentKey) =>
        SimulatedFrameworkStore.Faults(connection, environmentKey) ?? _options.Faults.GetValueOrDefault(environmentKey, FaultProfile.None);

    /// <summary>Changes an environment's faults at run time (admin page, tests). Hang and crash apply to runs started afterwards.</summary>
    public bool Available => true;

    public void SetFaults(string environmentKey, FaultProfile faults) =>
        Store.Write(c => { SimulatedFrameworkStore.SetFaults(c, environmentKey, faults); return true; });

    /// <summary>Freezes the environment's current run where it is, as if the test hung now.</summary>
    public bool HangCurrentRun(string environmentKey) => Store.Write(c =>
    {
        var now = Now;
        var run = SimulatedFrameworkStore.OpenRuns(c, environmentKey).FirstOrDefault(r => Status(r, now).Phase == RunPhase.Running);
        if (run is null) return false;
        SimulatedFrameworkStore.SetHangAt(c, run.Id, ProgressAt(run, now));
        return true;
    });

    public Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        PruneNowAndThen();
        return Task.FromResult(Store.Write(c =>
        {
            CheckToken(c, request.EnvironmentKey, request.FencingToken);
            var faults = FaultsOf(c, request.EnvironmentKey);
            // The same token asking again is the same lease retrying (perhaps from an app that crashed before
            // it saved the answer): it gets the run it already has, never a second one.
            if (SimulatedFrameworkStore.RunByToken(c, request.EnvironmentKey, request.FencingToken) is { } existing) return existing.Id;
            if (faults.FailStart)
                throw new TestFrameworkException($"The framework could not start the test on {request.EnvironmentKey}: agent did not accept the job.");

            var now = Now;
            var run = new SimulatedFrameworkStore.StoredRun($"sim-{request.EnvironmentKey}-{request.FencingToken}", request.EnvironmentKey,
                request.FencingToken, now, RunLength(request, now), faults.HangAtPercent, faults.CrashAtPercent, Outcome: null);
            SimulatedFrameworkStore.Insert(c, run);
            return run.Id;
        }));
    }

    public Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var run = Store.Read(c => SimulatedFrameworkStore.Run(c, runId));
        if (run is null || run.EnvironmentKey != environmentKey)
            return Task.FromResult(RunStatus.Unknown($"The framework knows no run {runId} on {environmentKey}."));
        return Task.FromResult(Status(run, Now));
    }

    public async Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct)
    {
        if (FaultsOf(environmentKey).UnresponsiveStop)
            await Task.Delay(Timeout.InfiniteTimeSpan, _clock, ct); // never answers: the caller's timeout ends it

        Store.Write(c =>
        {
            if (SimulatedFrameworkStore.Run(c, runId) is not { Outcome: null } run) return false;
            var now = Now;
            if (Status(run, now).Phase != RunPhase.Running) return false;
            // A hung test does not react to a polite stop; only a kill ends it.
            if (!force && IsHungAt(run, now)) return false;
            SimulatedFrameworkStore.Finish(c, runId, Ended(run, now, RunPhase.Failed, force ? "Killed by a force stop." : "Stopped on request."));
            return true;
        });
    }

    public async Task<HealthReport> CheckHealthAsync(string environmentKey, CancellationToken ct)
    {
        var faults = FaultsOf(environmentKey);
        var started = _clock.GetTimestamp();
        var latency = TimeSpan.FromMilliseconds(_options.BaseHealthLatencyMs + faults.HealthLatencyMs);
        if (latency > TimeSpan.Zero) await Task.Delay(latency, _clock, ct);
        var measured = _clock.GetElapsedTime(started);
        return faults.FailHealth
            ? new HealthReport(HealthStatus.Unhealthy, measured, "Health endpoint answered 503 Service Unavailable.")
            : new HealthReport(HealthStatus.Healthy, measured, "All probes passed.");
    }

    public Task ResetEnvironmentAsync(string environmentKey, long fencingToken, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Store.Write(c =>
        {
            CheckToken(c, environmentKey, fencingToken);
            if (FaultsOf(c, environmentKey).FailReset)
                throw new TestFrameworkException($"Reset of {environmentKey} failed: the clean-up script exited with code 2 (disk still holds test data).");
            var now = Now;
            foreach (var run in SimulatedFrameworkStore.OpenRuns(c, environmentKey).Where(r => Status(r, now).Phase == RunPhase.Running))
                SimulatedFrameworkStore.Finish(c, run.Id, Ended(run, now, RunPhase.Failed, "Ended by an environment reset."));
            return true;
        });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var now = Now;
        IReadOnlyList<ActiveRun> active = Store.Read(c => SimulatedFrameworkStore.OpenRuns(c))
            .Where(r => Status(r, now).Phase == RunPhase.Running)
            .Select(r => new ActiveRun(r.EnvironmentKey, r.Id)).ToList();
        return Task.FromResult(active);
    }

    private static void CheckToken(Microsoft.Data.Sqlite.SqliteConnection connection, string environmentKey, long token)
    {
        var newest = SimulatedFrameworkStore.NewestToken(connection, environmentKey) ?? 0;
        if (token < newest) throw new StaleFencingTokenException(environmentKey, token, newest);
        if (token > newest) SimulatedFrameworkStore.SetNewestToken(connection, environmentKey, token);
    }

    /// <summary>At most hourly, old runs are forgotten so the store does not grow without end.</summary>
    private void PruneNowAndThen()
    {
        var now = Now;
        var last = Interlocked.Read(ref _lastPruneTicks);
        if (now.Ticks - last < TimeSpan.TicksPerHour || Interlocked.CompareExchange(ref _lastPruneTicks, now.Ticks, last) != last) return;
        Store.Write(c => SimulatedFrameworkStore.Prune(c, now - Retention));
    }

    private TimeSpan RunLength(StartRunRequest request, DateTime now)
    {
        var match = DurationInSpec().Match(request.TestSpec);
        if (match.Success && double.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var minutes) && minutes > 0)
            return TimeSpan.FromMinutes(minutes);
        var slot = request.DeadlineUtc - now;
        return slot > TimeSpan.Zero ? slot * _options.RunLengthOfSlot : TimeSpan.FromMinutes(1);
    }

    [GeneratedRegex(@"(?:^|\s)duration=([0-9]+(?:\.[0-9]+)?)", RegexOptions.IgnoreCase)]
    private static partial Regex DurationInSpec();

    // A run's course is a function of time: progress grows with the wall clock from its start (so it went
    // on while LeaseBoard was down), it freezes at a hang, fails at a crash and succeeds at 100 %. Only a
    // stop or a reset is written down, as its outcome.
    private static int ProgressAt(SimulatedFrameworkStore.StoredRun run, DateTime now)
    {
        var elapsed = now - run.StartedUtc;
        var percent = run.Length <= TimeSpan.Zero ? 100 : (int)Math.Clamp(elapsed / run.Length * 100, 0, 100);
        return run.HangAtPercent is { } hang ? Math.Min(percent, hang) : percent;
    }

    private static bool IsHungAt(SimulatedFrameworkStore.StoredRun run, DateTime now) =>
        run.HangAtPercent is { } hang && ProgressAt(run, now) >= hang && hang < 100;

    private static DateTime TimeOfPercent(SimulatedFrameworkStore.StoredRun run, int percent) => run.StartedUtc + run.Length * (percent / 100.0);

    private static RunStatus Status(SimulatedFrameworkStore.StoredRun run, DateTime now)
    {
        if (run.Outcome is not null) return run.Outcome;
        var progress = ProgressAt(run, now);
        if (run.CrashAtPercent is { } crash && progress >= crash)
            return Ended(run, TimeOfPercent(run, crash), RunPhase.Failed, $"The test crashed at {crash}% (process exited with code 137).");
        if (IsHungAt(run, now))
            return new RunStatus(RunPhase.Running, progress, TimeOfPercent(run, run.HangAtPercent!.Value), "No output from the test.");
        if (progress >= 100)
            return Ended(run, TimeOfPercent(run, 100), RunPhase.Succeeded, "All checks passed.");
        return new RunStatus(RunPhase.Running, progress, now);
    }

    private static RunStatus Ended(SimulatedFrameworkStore.StoredRun run, DateTime at, RunPhase phase, string detail) =>
        new(phase, phase == RunPhase.Succeeded ? 100 : ProgressAt(run, at), at, detail);
}
