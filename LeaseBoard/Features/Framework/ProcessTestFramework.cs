using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
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
/// </summary>
public sealed partial class ProcessTestFramework(
    IOptions<ProcessFrameworkOptions> options, TimeProvider time, ILogger<ProcessTestFramework> logger)
    : ITestFramework, IDisposable, IAsyncDisposable
{
    /// <summary>
    /// Runs in the shell that leads the run's group ($1: the command, $2: the run's folder in the registry).
    /// It points its output at the log and writes its pid, start time and boot id before anything else, so a
    /// crash of the app right after the spawn still leaves the run recognisable. The EXIT trap records the
    /// command's exit code however the shell ends but by SIGKILL (an <c>exit</c> in the command included).
    /// The shell traps SIGTERM, and POSIX runs the trap only once the command it waits for is done: a graceful
    /// stop then ends the run exactly when the test gives up (the test gets the default SIGTERM back), with the
    /// test's own exit code, and no further step of the command starts. Its names are prefixed because the
    /// command is eval'd in the same shell.
    /// </summary>
    private const string RunWrapper = """
        exec </dev/null >>"$2/output.log" 2>&1
        __leaseboard_run=$2
        __leaseboard_field22() { shift 19; printf '%s' "$1"; }
        read -r __leaseboard_stat </proc/$$/stat
        read -r __leaseboard_boot </proc/sys/kernel/random/boot_id
        printf '%s %s %s\n' "$$" "$(__leaseboard_field22 ${__leaseboard_stat##*) })" "$__leaseboard_boot" >"$2/pid.tmp" &&
          command mv -f "$2/pid.tmp" "$2/pid"
        trap '__leaseboard_code=$?
          printf "%s\n" "$__leaseboard_code" >"$__leaseboard_run/exit-code.tmp" &&
            command mv -f "$__leaseboard_run/exit-code.tmp" "$__leaseboard_run/exit-code"
          exit "$__leaseboard_code"' EXIT
        trap 'exit $?' TERM
        eval "$1"
        """;

    private const string CommandWrapper = """
        exec 2>&1
        eval "$1"
        """;

    /// <summary>How long to wait, once a process exited, for the output it wrote (a child it left behind may hold the pipe open).</summary>
    private static readonly TimeSpan OutputDrainGrace = TimeSpan.FromMilliseconds(500);

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
    private readonly ConcurrentDictionary<string, RegisteredRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _registryGate = new();
    private ProcessRunRegistry? _registry;
    private bool _disposed;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Opened on first use, so an app on the simulated driver never needs the setting.</summary>
    private ProcessRunRegistry Registry
    {
        get
        {
            lock (_registryGate)
            {
                if (_registry is not null) return _registry;
                if (string.IsNullOrWhiteSpace(_options.StateDirectory))
                    throw new TestFrameworkException(
                        $"{ProcessFrameworkOptions.Section}:StateDirectory is not set: the process driver keeps its runs and fencing tokens " +
                        "in that folder so that they survive an app restart.");
                return _registry = new ProcessRunRegistry(_options.StateDirectory, time);
            }
        }
    }

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
        var command = Render(nameof(ProcessFrameworkOptions.StartCommand), _options.StartCommand, values);
        var registry = Registry;

        // Checking the token, finding the lease's run and spawning are one step for every instance on this host:
        // two app processes (or an app and its restarted self) never both start the same lease's test.
        using var held = await registry.LockAsync(ct);
        AcceptToken(registry, request.EnvironmentKey, request.FencingToken, "start");
        ForgetOldRuns(registry);

        var record = FindRecord(registry, request.EnvironmentKey, request.FencingToken);
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
            process = StartGroup(nameof(ProcessFrameworkOptions.StartCommand), command, RunWrapper, values, registry.RunDirectory(record.Key));
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

        var run = new RegisteredRun(registry, record, _options.OutputLines, watchedFromStart: true, process);
        if (_runs.TryRemove(record.Key, out var stale)) stale.Release();
        _runs[record.Key] = run;
        _ = WatchAsync(run, process);
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
            : new HealthReport(HealthStatus.Unhealthy, result.Duration, Describe("The health command", result));
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
            throw new TestFrameworkException(Describe($"The reset of {environmentKey}", result));
        }
        LogResetDone(environmentKey, fencingToken, result.Duration.TotalMilliseconds);
    }

    /// <summary>Every run in the registry that still runs, whichever instance started it.</summary>
    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var registry = Registry;
        var active = new List<ActiveRun>();
        foreach (var key in registry.Keys())
        {
            ct.ThrowIfCancellationRequested();
            if (!_runs.TryGetValue(key, out var run))
            {
                // A finished record stays finished: only the others are worth adopting and checking.
                if (registry.Read(key) is not { FinishedUtc: null } record || Complete(registry, record).RunId is not { } runId) continue;
                run = Find(runId);
            }
            if (run is not null && run.IsActive()) active.Add(new ActiveRun(run.EnvironmentKey, run.Id));
        }
        return Task.FromResult<IReadOnlyList<ActiveRun>>(active);
    }

    /// <summary>Releases handles and stops watching. Deliberately leaves running tests alone: a restart must not kill them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _shutdown.Cancel();
        foreach (var run in _runs.Values) run.Release();
        _shutdown.Dispose();
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

    /// <summary>The lease's run, if one was recorded; one with a process wins over a record that never got one.</summary>
    private RunRecord? FindRecord(ProcessRunRegistry registry, string environmentKey, long token) =>
        registry.Keys().Select(registry.Read)
            .Where(r => r is not null && r.EnvironmentKey == environmentKey && r.FencingToken == token)
            .Select(r => Complete(registry, r!))
            .OrderBy(r => r.RunId is null).ThenByDescending(r => r.CreatedUtc)
            .FirstOrDefault();

    /// <summary>
    /// Fills in a record whose starter died between the spawn and recording the pid, from the pid file the
    /// wrapper wrote itself. Whoever does this writes what the starter would have written.
    /// </summary>
    private RunRecord Complete(ProcessRunRegistry registry, RunRecord record)
    {
        if (record.ProcessGroup is not null || registry.ReadWrapperPid(record.Key) is not { } wrapper) return record;
        var completed = record with
        {
            RunId = RunRecord.IdOf(wrapper.Pid, record.Key), ProcessGroup = wrapper.Pid, StartTime = wrapper.StartTime,
            BootId = wrapper.BootId.Length > 0 ? wrapper.BootId : record.BootId,
        };
        registry.Update(completed);
        LogRecordCompleted(completed.RunId, record.EnvironmentKey, wrapper.Pid);
        return completed;
    }

    /// <summary>The run with this id, from memory or adopted from the registry; null when neither knows it.</summary>
    private RegisteredRun? Find(string runId)
    {
        if (RunRecord.KeyOf(runId) is not { } key) return null;
        if (_runs.TryGetValue(key, out var known)) return known.Id == runId ? known : null;
        var registry = Registry;
        if (registry.Read(key) is not { } stored || Complete(registry, stored) is not { } record || record.RunId != runId) return null;
        var adopted = new RegisteredRun(registry, record, _options.OutputLines, watchedFromStart: false, child: null);
        var run = _runs.GetOrAdd(key, adopted);
        if (run == adopted) LogRunAdopted(runId, record.EnvironmentKey, record.ProcessGroup ?? 0);
        return run;
    }

    /// <summary>
    /// Forgets runs that finished longer than the retention ago (token files stay, so their tokens stay
    /// fenced), and stamps the end of runs nobody asked about since they ended. Called under the lock.
    /// </summary>
    private void ForgetOldRuns(ProcessRunRegistry registry)
    {
        var now = Now;
        var cutoff = now - _options.FinishedRunRetention;
        foreach (var key in registry.Keys())
        {
            var record = registry.Read(key);
            if (record is null)
            {
                // No record under the lock: a start died between creating the folder and writing run.json.
                if (!File.Exists(Path.Combine(registry.RunDirectory(key), "run.json"))) registry.Delete(key);
                continue;
            }
            if (record.FinishedUtc < cutoff)
            {
                registry.Delete(key);
                if (_runs.TryRemove(key, out var forgotten)) forgotten.Release();
                LogRunForgotten(record.RunId ?? key, record.EnvironmentKey);
            }
            else if (record.FinishedUtc is null)
            {
                if (_runs.TryGetValue(key, out var run)) run.Status(now); // stamps its end if it ended
                else if (Complete(registry, record) is { RunId: not null } started)
                {
                    if (!ProcFs.IsAlive(started.ProcessGroup!.Value, started.StartTime ?? -1, started.BootId))
                        registry.Update(started with { FinishedUtc = now });
                }
                else if (now - record.CreatedUtc > _options.FinishedRunRetention)
                    registry.Update(record with { FinishedUtc = now }); // a start that never got a process, long ago: no process is coming now
            }
        }
        foreach (var key in _runs.Keys.Where(k => !Directory.Exists(registry.RunDirectory(k))))
            if (_runs.TryRemove(key, out var gone)) gone.Release(); // forgotten by another instance
    }

    /// <summary>
    /// Reaps the child while this instance is its parent, so it does not linger as a zombie, and records its exit
    /// code if the wrapper could not (killed by a signal: SIGKILL leaves the shell no last word).
    /// </summary>
    private async Task WatchAsync(RegisteredRun run, Process process)
    {
        var shutdown = _shutdown.Token;
        try
        {
            await process.WaitForExitAsync(shutdown);
            var exitCode = process.ExitCode;
            run.ChildExited(exitCode);
            LogRunExited(run.Id, run.EnvironmentKey, exitCode);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Disposed: the test goes on without us.
        }
        catch (Exception e)
        {
            LogWatchFailed(e, run.Id, run.EnvironmentKey);
        }
    }

    /// <summary>Runs a health or reset command to its end; cancelling kills its whole process group.</summary>
    private async Task<CommandResult> RunCommandAsync(
        string setting, string template, string environmentKey, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ct.ThrowIfCancellationRequested();
        var started = time.GetTimestamp();
        using var process = StartGroup(setting, Render(setting, template, values), CommandWrapper, values, runDirectory: null);
        var output = new OutputTail(_options.OutputLines);
        var pump = PumpAsync(process.StandardOutput, line => output.Add(line), CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            ProcFs.SignalChildGroup(process.Id, process.HasExited, ProcFs.SigKill);
            LogCommandCancelled(setting, environmentKey, time.GetElapsedTime(started).TotalMilliseconds, process.Id);
            await DrainAsync(pump, CancellationToken.None);
            throw;
        }
        var duration = time.GetElapsedTime(started);
        await DrainAsync(pump, ct);
        return new CommandResult(process.ExitCode, output.Text, duration);
    }

    private static string Render(string setting, string template, IReadOnlyDictionary<string, string> values)
    {
        try
        {
            return ShellCommandTemplate.Render(template, values);
        }
        catch (FormatException e)
        {
            throw new TestFrameworkException($"{ProcessFrameworkOptions.Section}:{setting} cannot be used: {e.Message}", e);
        }
    }

    /// <summary>
    /// Starts <c>setsid /bin/sh -c wrapper</c> with the rendered command as $1, so the shell leads a new process
    /// group. A run (with its registry folder as $2) writes its output to its log file, not to a pipe to the app:
    /// the output must outlive the app. A health check or reset is short and awaited, so a pipe serves it.
    /// </summary>
    private Process StartGroup(string setting, string command, string wrapper, IReadOnlyDictionary<string, string> values, string? runDirectory)
    {
        var pipeOutput = runDirectory is null;
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = pipeOutput,
            StandardOutputEncoding = pipeOutput ? Encoding.UTF8 : null,
            WorkingDirectory = _options.WorkingDirectory ?? "",
        };
        foreach (var argument in (string[])["/bin/sh", "-c", wrapper, $"leaseboard-{setting}", command])
            info.ArgumentList.Add(argument);
        if (runDirectory is not null) info.ArgumentList.Add(runDirectory);
        foreach (var (name, value) in values)
            info.Environment[ShellCommandTemplate.Variables[name]] = value;

        try
        {
            var process = Process.Start(info) ?? throw new TestFrameworkException($"{setting} did not start.");
            process.StandardInput.Close(); // the command reads end-of-file, never the app's own stdin
            return process;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or ArgumentException)
        {
            throw new TestFrameworkException($"Could not start {ProcessFrameworkOptions.Section}:{setting} through setsid /bin/sh: {e.Message}", e);
        }
    }

    private static async Task PumpAsync(StreamReader reader, Action<string> onLine, CancellationToken ct)
    {
        try
        {
            while (await reader.ReadLineAsync(ct) is { } line)
                onLine(line);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The process was released or the app is shutting down; the output no longer matters.
        }
    }

    /// <summary>Waits for the output to end, but not for a child that inherited the pipe and lives on.</summary>
    private async Task DrainAsync(Task pump, CancellationToken ct)
    {
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(OutputDrainGrace, time, grace.Token);
        await Task.WhenAny(pump, delay);
        grace.Cancel();
        ct.ThrowIfCancellationRequested();
    }

    private static string Describe(string what, CommandResult result) =>
        $"{what} exited with code {result.ExitCode}{SignalNote(result.ExitCode)}." +
        (result.Output.Length > 0 ? $" Output:\n{result.Output}" : " It printed nothing.");

    private static string SignalNote(int exitCode) => exitCode switch
    {
        128 + ProcFs.SigTerm => " (killed by SIGTERM)",
        128 + ProcFs.SigKill => " (killed by SIGKILL)",
        _ => "",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started on {EnvironmentKey} for reservation {ReservationId} with fencing token {FencingToken} as process group {ProcessGroup}")]
    private partial void LogRunStarted(string runId, string environmentKey, int reservationId, long fencingToken, int processGroup);

    [LoggerMessage(Level = LogLevel.Information, Message = "Start on {EnvironmentKey} with fencing token {FencingToken} repeated; it keeps its run {RunId}")]
    private partial void LogStartRepeated(string runId, string environmentKey, long fencingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run record {Key} for {EnvironmentKey} with fencing token {FencingToken}, recorded at {RecordedUtc}, never got a process; starting it now")]
    private partial void LogStartResumed(string key, string environmentKey, long fencingToken, DateTime recordedUtc);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} on {EnvironmentKey} was spawned as process group {ProcessGroup} but its starter died before recording it; recorded it from the wrapper's pid file")]
    private partial void LogRecordCompleted(string runId, string environmentKey, int processGroup);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted run {RunId} on {EnvironmentKey} (process group {ProcessGroup}) from the registry")]
    private partial void LogRunAdopted(string runId, string environmentKey, int processGroup);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgot finished run {RunId} on {EnvironmentKey}")]
    private partial void LogRunForgotten(string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "The shell of run {RunId} on {EnvironmentKey} exited with code {ExitCode}")]
    private partial void LogRunExited(string runId, string environmentKey, int exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost track of run {RunId} on {EnvironmentKey}")]
    private partial void LogWatchFailed(Exception exception, string runId, string environmentKey);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Setting} for {EnvironmentKey} was cancelled after {ElapsedMs} ms; killed its process group {ProcessGroup}")]
    private partial void LogCommandCancelled(string setting, string environmentKey, double elapsedMs, int processGroup);

    private sealed record CommandResult(int ExitCode, string Output, TimeSpan Duration);

    /// <summary>The last lines of a process's output, each cut to a readable length.</summary>
    private sealed class OutputTail(int capacity)
    {
        private const int MaxLineLength = 500;
        private readonly Queue<string> _lines = new();
        private readonly Lock _gate = new();

        public void Add(string line)
        {
            lock (_gate)
            {
                _lines.Enqueue(line.Length > MaxLineLength ? line[..MaxLineLength] + "…" : line);
                while (_lines.Count > capacity) _lines.Dequeue();
            }
        }

        public string Text
        {
            get { lock (_gate) return string.Join('\n', _lines).Trim(); }
        }
    }

    /// <summary>
    /// Follows a run's log file from the offset read last. A run watched from its start stamps new lines with the
    /// clock's now when it reads them (the engine asks every few seconds). A run adopted after a restart reads
    /// the whole file once; what it finds there happened before, so its last activity is the file's last write.
    /// </summary>
    private sealed class RunLog(string path, int outputLines, bool watchedFromStart, DateTime startedUtc)
    {
        private const int MaxLineBytes = 4096;
        private readonly OutputTail _tail = new(outputLines);
        private readonly List<byte> _partial = [];
        private long _offset;
        private bool _caughtUp = watchedFromStart;

        public int Progress { get; private set; }
        public DateTime LastActivityUtc { get; private set; } = startedUtc; // starting is the first sign of life
        public string Tail => _tail.Text;

        /// <summary>Reads what was appended; <paramref name="final"/> also takes a last line without a newline (the run is over).</summary>
        public void Read(DateTime nowUtc, bool final)
        {
            var lines = 0;
            long appended = 0;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (file.Length < _offset) _offset = 0; // replaced by someone: read it anew
                file.Seek(_offset, SeekOrigin.Begin);
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = file.Read(buffer)) > 0)
                {
                    appended += read;
                    var rest = buffer.AsSpan(0, read);
                    for (var end = rest.IndexOf((byte)'\n'); end >= 0; end = rest.IndexOf((byte)'\n'))
                    {
                        Append(rest[..end]);
                        OnLine();
                        lines++;
                        rest = rest[(end + 1)..];
                    }
                    Append(rest);
                }
                _offset += appended;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // No output yet, or the run was forgotten: nothing new.
            }
            if (final && _partial.Count > 0)
            {
                OnLine();
                lines++;
            }
            // Only newly written lines are signs of life; the first read of an adopted run finds older ones.
            if (lines > 0 && appended > 0) LastActivityUtc = _caughtUp ? nowUtc : LastWriteUtc();
            _caughtUp = true;
        }

        private DateTime LastWriteUtc()
        {
            var written = File.GetLastWriteTimeUtc(path);
            return written > LastActivityUtc ? written : LastActivityUtc;
        }

        /// <summary>Keeps the start of an endless line only: a status shows 500 characters of it at most.</summary>
        private void Append(ReadOnlySpan<byte> bytes)
        {
            var room = MaxLineBytes - _partial.Count;
            if (room > 0) _partial.AddRange(bytes.Length > room ? bytes[..room] : bytes);
        }

        private void OnLine()
        {
            var length = _partial.Count > 0 && _partial[^1] == (byte)'\r' ? _partial.Count - 1 : _partial.Count;
            var line = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(_partial)[..length]);
            _partial.Clear();
            _tail.Add(line);
            if (ParseProgress(line) is { } progress) Progress = progress;
        }

        /// <summary>"PROGRESS 42" → 42; anything else (or out of 0-100) is just a heartbeat.</summary>
        private static int? ParseProgress(string line)
        {
            var text = line.AsSpan().Trim();
            if (!text.StartsWith("PROGRESS ", StringComparison.Ordinal)) return null;
            return int.TryParse(text["PROGRESS ".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent <= 100
                ? percent
                : null;
        }
    }

    /// <summary>
    /// One run of the registry as this instance sees it: its record, its log read so far, and its process while
    /// this instance is the parent. The record on disk is the truth; this is a cache of it.
    /// </summary>
    private sealed class RegisteredRun
    {
        private readonly Lock _gate = new();
        private readonly ProcessRunRegistry _registry;
        private readonly RunLog _log;
        private RunRecord _record;
        private Process? _child;
        private bool _childRunning;
        private RunStatus? _final;

        public RegisteredRun(ProcessRunRegistry registry, RunRecord record, int outputLines, bool watchedFromStart, Process? child)
        {
            _registry = registry;
            _record = record;
            _child = child;
            _childRunning = child is not null;
            _log = new RunLog(record.OutputFile, outputLines, watchedFromStart, record.CreatedUtc);
        }

        public string Id => _record.RunId!;
        public string EnvironmentKey => _record.EnvironmentKey;
        public int ProcessGroup => _record.ProcessGroup ?? 0;

        /// <summary>The parent saw its child end: the wrapper's exit code stands, else (killed by a signal) the parent's.</summary>
        public void ChildExited(int exitCode)
        {
            lock (_gate)
            {
                _registry.SaveExitCodeIfMissing(_record.Key, exitCode);
                _childRunning = false;
            }
        }

        public bool IsActive()
        {
            lock (_gate)
                return _final is null && (_childRunning || IsAlive());
        }

        /// <summary>
        /// Running while a process of its group lives (the shell may be gone and its test go on). Then the exit code
        /// decides; with none, a force stop we sent explains the end, and otherwise nothing does.
        /// </summary>
        public RunStatus Status(DateTime nowUtc)
        {
            lock (_gate)
            {
                if (_final is not null) return _final;
                _log.Read(nowUtc, final: false);
                // While this instance is the parent, the child is not over before it was reaped and its exit code kept.
                if (_childRunning || IsAlive())
                    return new RunStatus(RunPhase.Running, _log.Progress, _log.LastActivityUtc, _log.Tail is { Length: > 0 } tail ? tail : null);

                _log.Read(nowUtc, final: true);
                var lastOutput = _log.Tail is { Length: > 0 } text ? $" Last output:\n{text}" : " It printed nothing.";
                var exitCode = _registry.ReadExitCode(_record.Key);
                var status = exitCode switch
                {
                    0 => new RunStatus(RunPhase.Succeeded, 100, _log.LastActivityUtc, _log.Tail is { Length: > 0 } t ? t : null),
                    { } code => new RunStatus(RunPhase.Failed, _log.Progress, _log.LastActivityUtc, $"Exited with code {code}{SignalNote(code)}.{lastOutput}"),
                    null when _registry.ForceStopSent(_record.Key) =>
                        new RunStatus(RunPhase.Failed, _log.Progress, _log.LastActivityUtc, $"Killed by a force stop (SIGKILL).{lastOutput}"),
                    null => RunStatus.Unknown(_record.BootId != ProcFs.BootId
                        ? $"Run {Id} is gone: the host rebooted since it started, and it left no exit code.{lastOutput}"
                        : $"Run {Id} is gone without an exit code: its processes were killed (not by LeaseBoard) or ended without its shell.{lastOutput}"),
                };
                // An exit code is final; without one, the parent (another instance, perhaps) may still record it.
                if (exitCode is not null) _final = status;
                if (_record.FinishedUtc is null)
                {
                    _record = _record with { FinishedUtc = nowUtc };
                    _registry.Update(_record);
                }
                return status;
            }
        }

        /// <summary>
        /// Signals the group if it still runs and is still ours (checked by start time, never by pid alone). A force
        /// stop is recorded first, so the run's end is explained even if this app dies right after sending it.
        /// </summary>
        public bool Signal(int signal, bool force, DateTime nowUtc)
        {
            lock (_gate)
            {
                if (_final is not null || !(_childRunning || IsAlive())) return false;
                if (force) _registry.MarkForceStop(_record.Key, nowUtc);
                if (_record is { ProcessGroup: { } group, StartTime: { } startTime })
                    return ProcFs.SignalGroup(group, startTime, _record.BootId, signal);
                // Our child's start time could not be read (it ended at once): it is still our unreaped child, or gone.
                return _child is { } child && ProcFs.SignalChildGroup(child.Id, !_childRunning, signal);
            }
        }

        public void Release()
        {
            Process? child;
            lock (_gate)
            {
                child = _child;
                _child = null;
                _childRunning = false; // no longer watched: /proc and the registry tell from now on
            }
            child?.Dispose();
        }

        private bool IsAlive() =>
            _record is { ProcessGroup: { } group, StartTime: { } startTime } && ProcFs.IsAlive(group, startTime, _record.BootId);
    }
}
