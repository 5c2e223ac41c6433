using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using LeaseBoard.Domain;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The default framework: runs progress in time read from <see cref="TimeProvider"/> (so tests drive
/// them with a fake clock), and each environment can play faults — hang, crash, failing start,
/// slow or failing health, failing reset, unresponsive stop. Like a real framework it refuses stale
/// fencing tokens. State lives in memory: after an app restart the old runs are unknown.
/// </summary>
public sealed partial class SimulatedTestFramework : ITestFramework
{
    private readonly TimeProvider _clock;
    private readonly SimulatedFrameworkOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SimulatedRun> _runs = [];
    private readonly Dictionary<string, long> _newestToken = [];
    private readonly ConcurrentDictionary<string, FaultProfile> _faults;
    private int _sequence;

    public SimulatedTestFramework(IOptions<SimulatedFrameworkOptions> options, TimeProvider clock)
    {
        _clock = clock;
        _options = options.Value;
        _faults = new ConcurrentDictionary<string, FaultProfile>(_options.Faults);
    }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    public FaultProfile FaultsOf(string environmentKey) => _faults.GetValueOrDefault(environmentKey, FaultProfile.None);

    /// <summary>Changes an environment's faults at run time (admin page, tests). Hang and crash apply to runs started afterwards.</summary>
    public void SetFaults(string environmentKey, FaultProfile faults) => _faults[environmentKey] = faults;

    /// <summary>Freezes the environment's current run where it is, as if the test hung now.</summary>
    public bool HangCurrentRun(string environmentKey)
    {
        lock (_gate)
        {
            var run = _runs.Values.FirstOrDefault(r => r.EnvironmentKey == environmentKey && r.Outcome is null);
            if (run is null) return false;
            run.HangAtPercent = run.ProgressAt(Now);
            return true;
        }
    }

    public Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct)
    {
        var faults = FaultsOf(request.EnvironmentKey);
        lock (_gate)
        {
            CheckToken(request.EnvironmentKey, request.FencingToken);
            // The same token asking again is the same lease retrying: it gets the run it already has.
            var existing = _runs.Values.FirstOrDefault(r => r.EnvironmentKey == request.EnvironmentKey && r.FencingToken == request.FencingToken);
            if (existing is not null) return Task.FromResult(existing.Id);
            if (faults.FailStart)
                throw new TestFrameworkException($"The framework could not start the test on {request.EnvironmentKey}: agent did not accept the job.");

            var now = Now;
            var id = $"sim-{request.EnvironmentKey}-{Interlocked.Increment(ref _sequence)}";
            _runs[id] = new SimulatedRun(id, request.EnvironmentKey, request.FencingToken, now, RunLength(request, now))
            {
                HangAtPercent = faults.HangAtPercent,
                CrashAtPercent = faults.CrashAtPercent,
            };
            return Task.FromResult(id);
        }
    }

    public Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(runId, out var run) || run.EnvironmentKey != environmentKey)
                return Task.FromResult(RunStatus.Unknown($"The framework knows no run {runId} on {environmentKey}."));
            return Task.FromResult(run.StatusAt(Now));
        }
    }

    public async Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct)
    {
        if (FaultsOf(environmentKey).UnresponsiveStop)
            await Task.Delay(Timeout.InfiniteTimeSpan, _clock, ct); // never answers: the caller's timeout ends it

        lock (_gate)
        {
            if (!_runs.TryGetValue(runId, out var run) || run.Outcome is not null) return;
            var now = Now;
            var status = run.StatusAt(now);
            if (status.Phase != RunPhase.Running) return;
            // A hung test does not react to a polite stop; only a kill ends it.
            if (!force && run.IsHungAt(now)) return;
            run.Finish(now, RunPhase.Failed, force ? "Killed by a force stop." : "Stopped on request.");
        }
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
        lock (_gate)
        {
            CheckToken(environmentKey, fencingToken);
            if (FaultsOf(environmentKey).FailReset)
                throw new TestFrameworkException($"Reset of {environmentKey} failed: the clean-up script exited with code 2 (disk still holds test data).");
            var now = Now;
            foreach (var run in _runs.Values.Where(r => r.EnvironmentKey == environmentKey && r.Outcome is null))
                run.Finish(now, RunPhase.Failed, "Ended by an environment reset.");
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = Now;
            IReadOnlyList<ActiveRun> active = _runs.Values.Where(r => r.StatusAt(now).Phase == RunPhase.Running)
                .Select(r => new ActiveRun(r.EnvironmentKey, r.Id)).ToList();
            return Task.FromResult(active);
        }
    }

    private void CheckToken(string environmentKey, long token)
    {
        var newest = _newestToken.GetValueOrDefault(environmentKey);
        if (token < newest) throw new StaleFencingTokenException(environmentKey, token, newest);
        _newestToken[environmentKey] = token;
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

    private sealed class SimulatedRun(string id, string environmentKey, long fencingToken, DateTime startedUtc, TimeSpan length)
    {
        public string Id { get; } = id;
        public string EnvironmentKey { get; } = environmentKey;
        public long FencingToken { get; } = fencingToken;
        public int? HangAtPercent { get; set; }
        public int? CrashAtPercent { get; init; }
        public RunStatus? Outcome { get; private set; }

        public int ProgressAt(DateTime now)
        {
            var elapsed = now - startedUtc;
            var percent = length <= TimeSpan.Zero ? 100 : (int)Math.Clamp(elapsed / length * 100, 0, 100);
            return HangAtPercent is { } hang ? Math.Min(percent, hang) : percent;
        }

        public bool IsHungAt(DateTime now) => HangAtPercent is { } hang && ProgressAt(now) >= hang && hang < 100;

        private DateTime TimeOfPercent(int percent) => startedUtc + length * (percent / 100.0);

        public RunStatus StatusAt(DateTime now)
        {
            if (Outcome is not null) return Outcome;
            var progress = ProgressAt(now);
            if (CrashAtPercent is { } crash && progress >= crash)
                return Finish(TimeOfPercent(crash), RunPhase.Failed, $"The test crashed at {crash}% (process exited with code 137).");
            if (IsHungAt(now))
                return new RunStatus(RunPhase.Running, progress, TimeOfPercent(HangAtPercent!.Value), "No output from the test.");
            if (progress >= 100)
                return Finish(TimeOfPercent(100), RunPhase.Succeeded, "All checks passed.");
            return new RunStatus(RunPhase.Running, progress, now);
        }

        public RunStatus Finish(DateTime at, RunPhase phase, string detail) =>
            Outcome = new RunStatus(phase, phase == RunPhase.Succeeded ? 100 : ProgressAt(at), at, detail);
    }
}
