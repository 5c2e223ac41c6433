using System.Diagnostics;
using System.Globalization;
using LeaseBoard.Domain;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// Drives the real test framework through the shell commands in <see cref="ProcessFrameworkOptions"/>.
/// A run is a child process that leads its own process group (started through <c>setsid</c>), so a stop
/// reaches every process the test spawned. Its output goes to a log file; each line is a heartbeat and
/// <c>PROGRESS n</c> reports progress.
/// Runs outlive the app, so they are kept in a registry on disk (<see cref="ProcessRunRegistry"/>, in
/// <see cref="ProcessFrameworkOptions.StateDirectory"/>): after a restart a new instance adopts them by id —
/// status from /proc, the log and the exit code the run's wrapper shell writes; stops to the same group once
/// its identity (leader start time, boot id) is checked — and the newest fencing token per environment is kept
/// there too. A start is idempotent by (environment, fencing token), across instances and app processes on
/// this host. Disposing releases resources without killing tests.
/// The shell commands themselves are spawned by <see cref="ProcessCommandRunner"/>; the runs this instance knows
/// are cached in <see cref="ProcessRunCache"/>, each a <see cref="RegisteredRun"/> that reads its log through <see cref="RunLog"/>.
/// </summary>
public sealed partial class ProcessTestFramework(
    IOptions<ProcessFrameworkOptions> options, TimeProvider time, ILogger<ProcessTestFramework> logger)
    : ITestFramework, IDisposable, IAsyncDisposable
{
    /// <summary>
    /// A recorded run with no process after this long never got one. Starts hold the registry's lock from
    /// recording the run until its pid is recorded, so whoever finds such a record under the lock knows its
    /// creator died in between. If it died before spawning, no process will ever come; if it died after, the
    /// wrapper writes its pid file within milliseconds of the fork. Older than this, with no pid file, no exit
    /// code and no process naming the run's folder, the record is safe to start now; younger, the start is
    /// refused for the moment (the engine retries starts after a back-off) rather than risk a second test.
    /// </summary>
    private static readonly TimeSpan NeverStartedAfter = TimeSpan.FromSeconds(5);

    private readonly ProcessFrameworkOptions _options = options.Value;
    private readonly ProcessCommandRunner _commands = new(options.Value, time, logger);
    private readonly Lock _runsGate = new();
    private ProcessRunCache? _runs;
    private bool _disposed;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>The registry and its runs, opened on first use, so an app on the simulated driver never needs the setting.</summary>
    private ProcessRunCache Runs
    {
        get
        {
            lock (_runsGate)
            {
                if (_runs is not null) return _runs;
                if (string.IsNullOrWhiteSpace(_options.StateDirectory))
                    throw new TestFrameworkException(
                        $"{ProcessFrameworkOptions.Section}:StateDirectory is not set: the process driver keeps its runs and fencing tokens " +
                        "in that folder so that they survive an app restart.");
                return _runs = new ProcessRunCache(new ProcessRunRegistry(_options.StateDirectory, time, logger), _options.OutputLines, time, logger);
            }
        }
    }

    private ProcessRunRegistry Registry => Runs.Registry;

    public async Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ct.ThrowIfCancellationRequested();
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ShellCommandTemplate.Environment] = request.EnvironmentKey,
            [ShellCommandTemplate.Reservation] = request.ReservationId.ToString(CultureInfo.InvariantCulture),
            [ShellCommandTemplate.Token] = request.FencingToken.ToString(CultureInfo.InvariantCulture),
            [ShellCommandTemplate.Kind] = request.TestKind.ToString(),
            [ShellCommandTemplate.Spec] = request.TestSpec,
            [ShellCommandTemplate.Deadline] = DateTime.SpecifyKind(request.DeadlineUtc, DateTimeKind.Utc)
                .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        var command = ProcessCommandRunner.Render(nameof(ProcessFrameworkOptions.StartCommand), _options.StartCommand, values);
        var registry = Registry;

        // Checking the token, finding the lease's run and spawning are one step for every instance on this host:
        // two app processes (or an app and its restarted self) never both start the same lease's test.
        using var held = await registry.LockAsync(ct);
        AcceptToken(registry, request.EnvironmentKey, request.FencingToken, "start");
        Runs.ForgetOldRuns(_options.FinishedRunRetention);

        var record = registry.FindRecord(request.EnvironmentKey, request.FencingToken);
        if (record is { RunId: { } existingId })
        {
            // The same token asking again is the same lease retrying (perhaps it never saw the answer): it gets its run.
            LogStartRepeated(existingId, request.EnvironmentKey, request.FencingToken);
            Find(existingId);
            return existingId;
        }
        if (record is not null)
        {
            var directory = registry.RunDirectory(record.Key);
            if (Now - record.CreatedUtc < NeverStartedAfter || registry.ReadExitCode(record.Key) is not null
                || ProcFs.AnyCommandLineMentions(directory))
                throw new TestFrameworkException(
                    $"A start of {request.EnvironmentKey} with fencing token {request.FencingToken} was recorded at {record.CreatedUtc:O} " +
                    $"and its process is not known yet ({directory}); try again shortly.");
            LogStartResumed(record.Key, request.EnvironmentKey, request.FencingToken, record.CreatedUtc);
            record = record with { CreatedUtc = Now, BootId = ProcFs.BootId, FinishedUtc = null };
        }
        else
        {
            var key = registry.NewKey();
            record = new RunRecord(key, null, request.EnvironmentKey, request.FencingToken, request.ReservationId, Now, ProcFs.BootId,
                null, null, Path.Combine(registry.RunDirectory(key), ProcessRunRegistry.OutputFileName), null);
        }
        registry.Save(record); // before the spawn: from here on a crash leaves a run a later start recognises

        Process process;
        try
        {
            process = _commands.StartRun(nameof(ProcessFrameworkOptions.StartCommand), command, values, registry.RunDirectory(record.Key));
        }
        catch
        {
            registry.Delete(record.Key);
            throw;
        }
        // setsid execs in place (a freshly forked child leads no group yet), so this pid is the wrapper's $$ and the group id.
        var startTime = ProcFs.Stat(process.Id)?.StartTime ?? registry.ReadWrapperPid(record.Key)?.StartTime;
        record = record with { RunId = RunRecord.IdOf(process.Id, record.Key), ProcessGroup = process.Id, StartTime = startTime };
        registry.Save(record);

        Runs.Add(record, process);
        LogRunStarted(record.RunId, request.EnvironmentKey, request.ReservationId, request.FencingToken, process.Id);
        return record.RunId;
    }

    public Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var run = Find(runId);
        if (run is null)
            return Task.FromResult(RunStatus.Unknown($"Run {runId} is not in the process driver's registry (it never was, or it finished long ago and was forgotten)."));
        if (run.EnvironmentKey != environmentKey)
            return Task.FromResult(RunStatus.Unknown($"Run {runId} belongs to {run.EnvironmentKey}, not {environmentKey}."));
        return Task.FromResult(run.Status(Now));
    }

    public Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var run = Find(runId);
        if (run is null || run.EnvironmentKey != environmentKey)
        {
            // A pid alone is no safe target: without the registry's record the number may belong to anything.
            LogStopUnknown(runId, environmentKey);
            return Task.CompletedTask;
        }
        if (run.Signal(force ? ProcFs.SigKill : ProcFs.SigTerm, force, Now))
            LogStopSent(runId, environmentKey, force ? "SIGKILL" : "SIGTERM", run.ProcessGroup);
        else
            LogStopAfterExit(runId, environmentKey);
        return Task.CompletedTask;
    }

    public async Task<HealthReport> CheckHealthAsync(string environmentKey, CancellationToken ct)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { [ShellCommandTemplate.Environment] = environmentKey };
        var result = await RunCommandAsync(nameof(ProcessFrameworkOptions.HealthCommand), _options.HealthCommand, environmentKey, values, ct);
        LogHealthChecked(environmentKey, result.ExitCode, result.Duration.TotalMilliseconds);
        return result.ExitCode == 0
            ? new HealthReport(HealthStatus.Healthy, result.Duration, result.Output.Length > 0 ? result.Output : "The health command succeeded.")
            : new HealthReport(HealthStatus.Unhealthy, result.Duration, ProcessCommandRunner.Describe("The health command", result));
    }

    public async Task ResetEnvironmentAsync(string environmentKey, long fencingToken, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var registry = Registry;
        using (await registry.LockAsync(ct))
            AcceptToken(registry, environmentKey, fencingToken, "reset");
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ShellCommandTemplate.Environment] = environmentKey,
            [ShellCommandTemplate.Token] = fencingToken.ToString(CultureInfo.InvariantCulture),
        };
        var result = await RunCommandAsync(nameof(ProcessFrameworkOptions.ResetCommand), _options.ResetCommand, environmentKey, values, ct);
        if (result.ExitCode != 0)
        {
            LogResetFailed(environmentKey, fencingToken, result.ExitCode);
            throw new TestFrameworkException(ProcessCommandRunner.Describe($"The reset of {environmentKey}", result));
        }
        LogResetDone(environmentKey, fencingToken, result.Duration.TotalMilliseconds);
    }

    /// <summary>Every run in the registry that still runs, whichever instance started it.</summary>
    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Runs.ListActive(ct));
    }

    /// <summary>Releases handles and stops watching. Deliberately leaves running tests alone: a restart must not kill them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_runsGate) _runs?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Refuses a token older than the newest one recorded for the environment (an equal one is the same lease),
    /// and records a newer one. Called under the registry's lock, so the check and the record are one step.
    /// </summary>
    private void AcceptToken(ProcessRunRegistry registry, string environmentKey, long token, string operation)
    {
        var newest = registry.NewestToken(environmentKey);
        if (token < newest)
        {
            LogStaleToken(operation, environmentKey, token, newest.Value);
            throw new StaleFencingTokenException(environmentKey, token, newest.Value);
        }
        if (token != newest) registry.SaveNewestToken(environmentKey, token);
    }

    /// <summary>The run with this id, from memory or adopted from the registry; null when neither knows it.</summary>
    private RegisteredRun? Find(string runId) => RunRecord.KeyOf(runId) is null ? null : Runs.Find(runId);

    /// <summary>Runs a health or reset command to its end (see <see cref="ProcessCommandRunner.RunCommandAsync"/>).</summary>
    private Task<CommandResult> RunCommandAsync(
        string setting, string template, string environmentKey, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _commands.RunCommandAsync(setting, template, environmentKey, values, ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started on {EnvironmentKey} for reservation {ReservationId} with fencing token {FencingToken} as process group {ProcessGroup}")]
    private partial void LogRunStarted(string runId, string environmentKey, int reservationId, long fencingToken, int processGroup);

    [LoggerMessage(Level = LogLevel.Information, Message = "Start on {EnvironmentKey} with fencing token {FencingToken} repeated; it keeps its run {RunId}")]
    private partial void LogStartRepeated(string runId, string environmentKey, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run record {Key} for {EnvironmentKey} with fencing token {FencingToken}, recorded at {RecordedUtc}, never got a process; starting it now")]
    private partial void LogStartResumed(string key, string environmentKey, long fencingToken, DateTime recordedUtc);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Signal} to run {RunId} on {EnvironmentKey} (process group {ProcessGroup})")]
    private partial void LogStopSent(string runId, string environmentKey, string signal, int processGroup);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId} on {EnvironmentKey} already ended; nothing to stop")]
    private partial void LogStopAfterExit(string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} on {EnvironmentKey} is not in the registry; nothing was stopped")]
    private partial void LogStopUnknown(string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a {Operation} on {EnvironmentKey} with stale fencing token {FencingToken} (newest is {NewestToken})")]
    private partial void LogStaleToken(string operation, string environmentKey, long fencingToken, long newestToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Health of {EnvironmentKey}: exit code {ExitCode} in {LatencyMs} ms")]
    private partial void LogHealthChecked(string environmentKey, int exitCode, double latencyMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reset {EnvironmentKey} with fencing token {FencingToken} in {DurationMs} ms")]
    private partial void LogResetDone(string environmentKey, long fencingToken, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reset of {EnvironmentKey} with fencing token {FencingToken} failed with exit code {ExitCode}")]
    private partial void LogResetFailed(string environmentKey, long fencingToken, int exitCode);

}
