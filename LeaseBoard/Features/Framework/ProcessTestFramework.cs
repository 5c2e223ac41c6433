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
/// reaches every process the test spawned. Its output lines are heartbeats; <c>PROGRESS n</c> reports progress.
/// Runs live in this instance's memory: after an app restart their ids are unknown (the engine adopts or
/// closes them), and disposing releases resources without killing tests.
/// </summary>
public sealed partial class ProcessTestFramework(
    IOptions<ProcessFrameworkOptions> options, TimeProvider time, ILogger<ProcessTestFramework> logger)
    : ITestFramework, IDisposable, IAsyncDisposable
{
    /// <summary>
    /// The shell that leads a run's group traps SIGTERM, and POSIX runs the trap only once the command it
    /// waits for is done: a graceful stop then ends the run exactly when the test gives up (the test gets the
    /// default SIGTERM back), with the test's own exit code, and no further step of the command starts.
    /// </summary>
    private const string RunWrapper = """
        exec 2>&1
        trap 'exit $?' TERM
        eval "$1"
        """;

    private const string CommandWrapper = """
        exec 2>&1
        eval "$1"
        """;

    private const int SigKill = 9, SigTerm = 15, Esrch = 3;

    /// <summary>How long to wait, once a process exited, for the output it wrote (a child it left behind may hold the pipe open).</summary>
    private static readonly TimeSpan OutputDrainGrace = TimeSpan.FromMilliseconds(500);

    private readonly ProcessFrameworkOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ProcessRun> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _newestTokens = new(StringComparer.Ordinal);
    private readonly Lock _tokenGate = new();
    private readonly CancellationTokenSource _shutdown = new();
    private bool _disposed;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public Task<string> StartRunAsync(StartRunRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ct.ThrowIfCancellationRequested();
        AcceptToken(request.EnvironmentKey, request.FencingToken, "start");
        ForgetOldRuns();

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
        var process = StartGroup(nameof(ProcessFrameworkOptions.StartCommand), _options.StartCommand, RunWrapper, values);
        var runId = $"proc-{process.Id}-{Guid.NewGuid().ToString("N")[..8]}";
        var run = new ProcessRun(runId, request.EnvironmentKey, process, _options.OutputLines, Now);
        _runs[runId] = run;
        _ = WatchAsync(run);
        LogRunStarted(runId, request.EnvironmentKey, request.ReservationId, request.FencingToken, process.Id);
        return Task.FromResult(runId);
    }

    public Task<RunStatus> GetRunStatusAsync(string environmentKey, string runId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_runs.TryGetValue(runId, out var run))
            return Task.FromResult(RunStatus.Unknown($"Run {runId} is not known here (it may have started before the app restarted, or finished long ago)."));
        if (run.EnvironmentKey != environmentKey)
            return Task.FromResult(RunStatus.Unknown($"Run {runId} belongs to {run.EnvironmentKey}, not {environmentKey}."));
        return Task.FromResult(run.Status());
    }

    public Task StopRunAsync(string environmentKey, string runId, bool force, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_runs.TryGetValue(runId, out var run) || run.EnvironmentKey != environmentKey)
        {
            // Its process id alone is no safe target: after a restart the number may belong to anything.
            LogStopUnknown(runId, environmentKey);
            return Task.CompletedTask;
        }
        var signal = force ? SigKill : SigTerm;
        if (run.Signal(signal))
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
        AcceptToken(environmentKey, fencingToken, "reset");
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

    public Task<IReadOnlyList<ActiveRun>> ListActiveRunsAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IReadOnlyList<ActiveRun> active = _runs.Values.Where(r => !r.IsFinished)
            .Select(r => new ActiveRun(r.EnvironmentKey, r.Id)).ToList();
        return Task.FromResult(active);
    }

    /// <summary>Releases pipes and handles. Deliberately leaves running tests alone: a restart must not kill them.</summary>
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

    /// <summary>Refuses a token older than the newest one seen for the environment (an equal one is the same lease).</summary>
    private void AcceptToken(string environmentKey, long token, string operation)
    {
        lock (_tokenGate)
        {
            if (_newestTokens.TryGetValue(environmentKey, out var newest) && token < newest)
            {
                LogStaleToken(operation, environmentKey, token, newest);
                throw new StaleFencingTokenException(environmentKey, token, newest);
            }
            _newestTokens[environmentKey] = token;
        }
    }

    private void ForgetOldRuns()
    {
        var cutoff = Now - _options.FinishedRunRetention;
        foreach (var run in _runs.Values.Where(r => r.FinishedUtc < cutoff))
            if (_runs.TryRemove(run.Id, out _)) run.Release();
    }

    /// <summary>
    /// Follows a run until its leader exited and its output ended. The output ends only when every process
    /// holding it is gone, so a test that outlives the shell that started it (an intermediate shell dying of
    /// SIGTERM, say) still counts as running, and can still be stopped through its group.
    /// </summary>
    private async Task WatchAsync(ProcessRun run)
    {
        var shutdown = _shutdown.Token;
        var output = PumpAsync(run.Process.StandardOutput, line => run.OnOutput(line, Now), shutdown);
        try
        {
            await run.Process.WaitForExitAsync(shutdown);
            await output;
            shutdown.ThrowIfCancellationRequested();
            var exitCode = run.Process.ExitCode;
            run.Finish(exitCode, Now);
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
        using var process = StartGroup(setting, template, CommandWrapper, values);
        var output = new OutputTail(_options.OutputLines);
        var pump = PumpAsync(process.StandardOutput, line => output.Add(line), CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            SignalGroup(process, SigKill);
            LogCommandCancelled(setting, environmentKey, time.GetElapsedTime(started).TotalMilliseconds, process.Id);
            await DrainAsync(pump, CancellationToken.None);
            throw;
        }
        var duration = time.GetElapsedTime(started);
        await DrainAsync(pump, ct);
        return new CommandResult(process.ExitCode, output.Text, duration);
    }

    /// <summary>Starts <c>setsid /bin/sh -c wrapper</c> with the rendered command as $1, so the shell leads a new process group.</summary>
    private Process StartGroup(string setting, string template, string wrapper, IReadOnlyDictionary<string, string> values)
    {
        string command;
        try
        {
            command = ShellCommandTemplate.Render(template, values);
        }
        catch (FormatException e)
        {
            throw new TestFrameworkException($"{ProcessFrameworkOptions.Section}:{setting} cannot be used: {e.Message}", e);
        }

        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = _options.WorkingDirectory ?? "",
        };
        foreach (var argument in (string[])["/bin/sh", "-c", wrapper, $"leaseboard-{setting}", command])
            info.ArgumentList.Add(argument);
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

    /// <summary>Signals the process group the process leads; if it has not called setsid yet, the process itself.</summary>
    private static bool SignalGroup(Process process, int signal)
    {
        if (kill(-process.Id, signal) == 0) return true;
        var error = Marshal.GetLastPInvokeError();
        if (error == Esrch && !process.HasExited)
        {
            if (kill(process.Id, signal) == 0) return true;
            error = Marshal.GetLastPInvokeError();
        }
        if (error == Esrch) return false;
        throw new TestFrameworkException($"Could not signal process group {process.Id}: {new Win32Exception(error).Message}");
    }

    private static string Describe(string what, CommandResult result) =>
        $"{what} exited with code {result.ExitCode}{SignalNote(result.ExitCode)}." +
        (result.Output.Length > 0 ? $" Output:\n{result.Output}" : " It printed nothing.");

    private static string SignalNote(int exitCode) => exitCode switch
    {
        128 + SigTerm => " (killed by SIGTERM)",
        128 + SigKill => " (killed by SIGKILL)",
        _ => "",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started on {EnvironmentKey} for reservation {ReservationId} with fencing token {FencingToken} as process group {ProcessGroup}")]
    private partial void LogRunStarted(string runId, string environmentKey, int reservationId, long fencingToken, int processGroup);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} on {EnvironmentKey} exited with code {ExitCode}")]
    private partial void LogRunExited(string runId, string environmentKey, int exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost track of run {RunId} on {EnvironmentKey}")]
    private partial void LogWatchFailed(Exception exception, string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent {Signal} to run {RunId} on {EnvironmentKey} (process group {ProcessGroup})")]
    private partial void LogStopSent(string runId, string environmentKey, string signal, int processGroup);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId} on {EnvironmentKey} already exited; nothing to stop")]
    private partial void LogStopAfterExit(string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} on {EnvironmentKey} is not known to this app instance; nothing was stopped")]
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

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

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

    /// <summary>One run: its process while it runs, then its outcome.</summary>
    private sealed class ProcessRun(string id, string environmentKey, Process process, int outputLines, DateTime startedUtc)
    {
        private readonly Lock _gate = new();
        private readonly OutputTail _output = new(outputLines);
        private int _progress;
        private DateTime _lastActivityUtc = startedUtc; // starting is the first sign of life
        private int? _exitCode;
        private bool _released;

        private DateTime? _finishedUtc;

        public string Id { get; } = id;
        public string EnvironmentKey { get; } = environmentKey;
        public Process Process { get; } = process;
        public int ProcessGroup { get; } = process.Id;
        public DateTime? FinishedUtc { get { lock (_gate) return _finishedUtc; } }
        public bool IsFinished { get { lock (_gate) return _exitCode is not null; } }

        public void OnOutput(string line, DateTime nowUtc)
        {
            _output.Add(line);
            lock (_gate)
            {
                _lastActivityUtc = nowUtc;
                if (ParseProgress(line) is { } progress) _progress = progress;
            }
        }

        public void Finish(int exitCode, DateTime nowUtc)
        {
            lock (_gate)
            {
                _exitCode = exitCode;
                _finishedUtc = nowUtc;
            }
        }

        /// <summary>
        /// Sends the signal to the run's group unless the run finished (then it is a no-op). The leader may be
        /// gone already; its pid stays reserved as the group's id for as long as any member lives.
        /// </summary>
        public bool Signal(int signal)
        {
            lock (_gate)
                return _exitCode is null && !_released && SignalGroup(Process, signal);
        }

        public RunStatus Status()
        {
            var tail = _output.Text;
            var detail = tail.Length > 0 ? tail : null;
            lock (_gate)
            {
                return _exitCode switch
                {
                    null => new RunStatus(RunPhase.Running, _progress, _lastActivityUtc, detail),
                    0 => new RunStatus(RunPhase.Succeeded, 100, _lastActivityUtc, detail),
                    { } code => new RunStatus(RunPhase.Failed, _progress, _lastActivityUtc,
                        $"Exited with code {code}{SignalNote(code)}." + (detail is null ? " It printed nothing." : $" Last output:\n{tail}")),
                };
            }
        }

        public void Release()
        {
            lock (_gate)
            {
                if (_released) return;
                _released = true;
            }
            Process.Dispose();
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
}
