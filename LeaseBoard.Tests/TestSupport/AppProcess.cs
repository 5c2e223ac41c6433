using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// The built app (<c>LeaseBoard.dll</c> from the test output folder) as a child process: real Kestrel on a
/// loopback port the app picks itself, real Hangfire, the real framework driver. Its stdout and stderr go to
/// <see cref="LogPath"/>; every failure message carries the log's tail. <see cref="KillAsync"/> is SIGKILL —
/// a crash, not a shutdown. A child never outlives the test run: disposal kills it, and so does the test
/// process's exit.
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<int, Process> Alive = new();
    private static readonly string[] ForeignSettingPrefixes = ["ASPNETCORE_", "LeaseBoard__", "ConnectionStrings__", "AzureAd__", "SignalR__", "Logging__"];

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pumps;

    static AppProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Alive.Values)
                try { process.Kill(); } catch (InvalidOperationException) { }
        };
    }

    private AppProcess(string name, Process process, string logPath, StreamWriter log)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        _log = log;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    /// <summary>The folder of a published app for benchmarks to run instead of the copy next to the tests.</summary>
    public const string PublishedAppVariable = "LEASEBOARD_BENCHMARK_APP_DIR";

    public string Name { get; }
    public string LogPath { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Where Kestrel listens (read from the app's "Now listening on" line).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>From starting the process to the first 200 of <c>/health/ready</c>.</summary>
    public TimeSpan StartupTime { get; private set; }

    public HttpClient Http { get; private set; } = new();

    /// <summary>
    /// Starts <c>dotnet LeaseBoard.dll</c> with <paramref name="environment"/> (on top of a clean copy of this
    /// process's environment) in <paramref name="workingDirectory"/> and waits until it is ready. With
    /// <paramref name="loadTestHooks"/> the child runs on the test assembly's dependency manifest, so
    /// <c>ASPNETCORE_HOSTINGSTARTUPASSEMBLIES=LeaseBoard.Tests</c> can load <see cref="CrashTestHooks"/>.
    /// </summary>
    public static async Task<AppProcess> StartAsync(string name, string workingDirectory, IReadOnlyDictionary<string, string> environment,
        bool loadTestHooks = false)
    {
        // Benchmarks may measure a published build instead (e.g. ReadyToRun): LEASEBOARD_BENCHMARK_APP_DIR names its folder.
        var output = !loadTestHooks && Environment.GetEnvironmentVariable(PublishedAppVariable) is { Length: > 0 } published
            ? published
            : AppContext.BaseDirectory;
        var dll = Path.Combine(output, "LeaseBoard.dll");
        foreach (var required in new[] { dll, Path.Combine(output, "LeaseBoard.runtimeconfig.json"), Path.Combine(output, "LeaseBoard.deps.json") })
            if (!File.Exists(required))
                Assert.Fail($"Cannot start the app as a child process: {required} is missing (build LeaseBoard.Tests, which copies the app next to the tests).");

        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        if (loadTestHooks)
        {
            foreach (var argument in new[] { "exec", "--runtimeconfig", Path.Combine(output, "LeaseBoard.runtimeconfig.json"),
                         "--depsfile", Path.Combine(output, "LeaseBoard.Tests.deps.json"), dll })
                start.ArgumentList.Add(argument);
        }
        else
        {
            start.ArgumentList.Add(dll);
        }
        // The test run's own settings (a developer's ASPNETCORE_* or LeaseBoard__*) must not leak into the child.
        foreach (var key in start.Environment.Keys.ToList())
            if (ForeignSettingPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                start.Environment.Remove(key);
        // Test apps warm up briefly; the benchmarks ask for the product's own warm-up.
        start.Environment["LeaseBoard__Api__WarmUpRounds"] = "3";
        start.Environment["LeaseBoard__Api__WarmUpJitSettle"] = "00:00:00";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0"; // Kestrel picks a free loopback port: no race for a port
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        start.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var logPath = Path.Combine(workingDirectory, $"{name}.log");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        log.WriteLine($"# {name}: dotnet {string.Join(' ', start.ArgumentList)}");
        foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
            log.WriteLine($"#   {key}={value}");

        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null.");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await log.DisposeAsync();
            Assert.Fail($"Cannot start the app as a child process (dotnet {string.Join(' ', start.ArgumentList)}): {e.Message}");
            throw; // not reached
        }
        Alive[process.Id] = process;
        process.StandardInput.Close();
        var app = new AppProcess(name, process, logPath, log);
        try
        {
            await app.WaitUntilReadyAsync(clock);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return app;
    }

    private async Task WaitUntilReadyAsync(Stopwatch clock)
    {
        var exited = _process.WaitForExitAsync();
        var listening = await Task.WhenAny(_listening.Task, exited, Task.Delay(ReadyTimeout));
        if (listening != _listening.Task)
            throw new TimeoutException(Describe(_process.HasExited
                ? $"{Name} exited with code {_process.ExitCode} before it listened"
                : $"{Name} did not listen within {ReadyTimeout.TotalSeconds:0} s"));
        BaseAddress = await _listening.Task;
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        string ready;
        try
        {
            ready = await Eventually.MatchesAsync(ReadinessAsync, state => state == "ready" || _process.HasExited,
                ReadyTimeout - clock.Elapsed, TimeSpan.FromMilliseconds(100), $"{Name}: GET /health/ready = 200");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(Describe(e.Message));
        }
        if (ready != "ready") throw new InvalidOperationException(Describe($"{Name} never became ready: {ready}"));
        StartupTime = clock.Elapsed;
        Write($"# ready after {StartupTime.TotalMilliseconds:0} ms at {BaseAddress}");
    }

    private async Task<string> ReadinessAsync()
    {
        if (_process.HasExited) return $"exited with code {_process.ExitCode}";
        try
        {
            using var response = await Http.GetAsync("/health/ready");
            return response.IsSuccessStatusCode ? "ready" : $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }

    /// <summary>SIGKILL (what <see cref="Process.Kill()"/> sends on Linux): no shutdown hooks, no flushing, no goodbyes.</summary>
    public async Task KillAsync()
    {
        Write($"# SIGKILL at {DateTime.UtcNow:HH:mm:ss.fff}");
        try { _process.Kill(); } catch (InvalidOperationException) { }
        await WaitForExitAsync(TimeSpan.FromSeconds(15), "exit after SIGKILL");
    }

    /// <summary>Waits for the process to end by itself (e.g. a crash hook killing it); fails with the log's tail.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout, string what)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(Describe($"{Name} did not {what} within {timeout.TotalSeconds:0} s"));
        }
        Alive.TryRemove(_process.Id, out _);
        // The output pipes close with the process; let the log catch up (briefly: a grandchild may hold a pipe).
        await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(2)));
    }

    /// <summary>The last lines of the app's log, for failure messages.</summary>
    public string LogTail(int lines = 60)
    {
        string[] all;
        lock (_logGate)
        {
            try
            {
                using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                all = reader.ReadToEnd().Split('\n');
            }
            catch (IOException e)
            {
                return $"(log {LogPath} unreadable: {e.Message})";
            }
        }
        return string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>A failure message: what went wrong, then where the log is and its tail.</summary>
    public string Describe(string what) => $"{what}.\n--- last lines of {LogPath} ---\n{LogTail()}\n--- end of {Name}'s log ---";

    private async Task PumpAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                Write(line);
                if (!_listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } match)
                    _listening.TrySetResult(new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process is gone.
        }
    }

    private void Write(string line)
    {
        lock (_logGate)
        {
            try { _log.WriteLine(line); } catch (ObjectDisposedException) { }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(); } catch (InvalidOperationException) { }
            try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15)); } catch (TimeoutException) { }
        }
        Alive.TryRemove(_process.Id, out _);
        await Task.WhenAny(_pumps, Task.Delay(TimeSpan.FromSeconds(2)));
        Http.Dispose();
        lock (_logGate) _log.Dispose();
        _process.Dispose();
    }
}
