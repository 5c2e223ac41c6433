using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// Starts the process driver's shell commands, each as the leader of its own process group (through
/// <c>setsid</c>), so that a signal to the group reaches every process the command spawned: a test run through
/// <see cref="RunWrapper"/>, writing to its folder in the registry, and a health check or reset through
/// <see cref="CommandWrapper"/>, awaited to its end with its output read from a pipe.
/// </summary>
internal sealed partial class ProcessCommandRunner(ProcessFrameworkOptions options, TimeProvider time, ILogger logger)
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

    /// <summary>Starts a test run's command; its group outlives the app, its output goes to <paramref name="runDirectory"/>.</summary>
    public Process StartRun(string setting, string command, IReadOnlyDictionary<string, string> values, string runDirectory) =>
        StartGroup(setting, command, RunWrapper, values, runDirectory);

    /// <summary>Runs a health or reset command to its end; cancelling kills its whole process group.</summary>
    public async Task<CommandResult> RunCommandAsync(
        string setting, string template, string environmentKey, IReadOnlyDictionary<string, string> values, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var started = time.GetTimestamp();
        using var process = StartGroup(setting, Render(setting, template, values), CommandWrapper, values, runDirectory: null);
        var output = new OutputTail(options.OutputLines);
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

    public static string Render(string setting, string template, IReadOnlyDictionary<string, string> values)
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
            WorkingDirectory = options.WorkingDirectory ?? "",
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

    public static string Describe(string what, CommandResult result) =>
        $"{what} exited with code {result.ExitCode}{SignalNote(result.ExitCode)}." +
        (result.Output.Length > 0 ? $" Output:\n{result.Output}" : " It printed nothing.");

    public static string SignalNote(int exitCode) => exitCode switch
    {
        128 + ProcFs.SigTerm => " (killed by SIGTERM)",
        128 + ProcFs.SigKill => " (killed by SIGKILL)",
        _ => "",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Setting} for {EnvironmentKey} was cancelled after {ElapsedMs} ms; killed its process group {ProcessGroup}")]
    private partial void LogCommandCancelled(string setting, string environmentKey, double elapsedMs, int processGroup);
}

/// <summary>How a health or reset command ended: its exit code, the last lines it printed, and how long it took.</summary>
internal sealed record CommandResult(int ExitCode, string Output, TimeSpan Duration);
