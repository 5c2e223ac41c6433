using System.Collections.Concurrent;
using System.Diagnostics;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// The registry's runs as this driver instance sees them: the ones it started (it is their processes' parent and
/// watches them) and the ones it adopted by id from <see cref="ProcessRunRegistry"/> — after an app restart, or
/// started by another instance on this host. The registry on disk is the truth; this is a cache of it.
/// Disposing releases the processes and stops watching without killing any test.
/// </summary>
internal sealed partial class ProcessRunCache(ProcessRunRegistry registry, int outputLines, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, RegisteredRun> _runs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    public ProcessRunRegistry Registry => registry;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>The run with this id, from memory or adopted from the registry; null when neither knows it.</summary>
    public RegisteredRun? Find(string runId)
    {
        if (RunRecord.KeyOf(runId) is not { } key) return null;
        if (_runs.TryGetValue(key, out var known)) return known.Id == runId ? known : null;
        if (registry.Read(key) is not { } stored || registry.Complete(stored) is not { } record || record.RunId != runId) return null;
        var adopted = new RegisteredRun(registry, record, outputLines, watchedFromStart: false, child: null);
        var run = _runs.GetOrAdd(key, adopted);
        if (run == adopted) LogRunAdopted(runId, record.EnvironmentKey, record.ProcessGroup ?? 0);
        return run;
    }

    /// <summary>A run this instance just started: it replaces whatever was cached under its key, and its process is watched.</summary>
    public void Add(RunRecord record, Process process)
    {
        var run = new RegisteredRun(registry, record, outputLines, watchedFromStart: true, process);
        if (_runs.TryRemove(record.Key, out var stale)) stale.Release();
        _runs[record.Key] = run;
        _ = WatchAsync(run, process);
    }

    /// <summary>Every run in the registry that still runs, whichever instance started it.</summary>
    public IReadOnlyList<ActiveRun> ListActive(CancellationToken ct)
    {
        var active = new List<ActiveRun>();
        foreach (var key in registry.Keys())
        {
            ct.ThrowIfCancellationRequested();
            if (!_runs.TryGetValue(key, out var run))
            {
                // A finished record stays finished: only the others are worth adopting and checking.
                if (registry.Read(key) is not { FinishedUtc: null } record || registry.Complete(record).RunId is not { } runId) continue;
                run = Find(runId);
            }
            if (run is not null && run.IsActive()) active.Add(new ActiveRun(run.EnvironmentKey, run.Id));
        }
        return active;
    }

    /// <summary>
    /// Forgets runs that finished longer than the retention ago (token files stay, so their tokens stay
    /// fenced), and stamps the end of runs nobody asked about since they ended. Called under the lock.
    /// </summary>
    public void ForgetOldRuns(TimeSpan retention)
    {
        var now = Now;
        var cutoff = now - retention;
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
                else if (registry.Complete(record) is { RunId: not null } started)
                {
                    if (!ProcFs.IsAlive(started.ProcessGroup!.Value, started.StartTime ?? -1, started.BootId))
                        registry.Update(started with { FinishedUtc = now });
                }
                else if (now - record.CreatedUtc > retention)
                    registry.Update(record with { FinishedUtc = now }); // a start that never got a process, long ago: no process is coming now
            }
        }
        foreach (var key in _runs.Keys.Where(k => !Directory.Exists(registry.RunDirectory(k))))
            if (_runs.TryRemove(key, out var gone)) gone.Release(); // forgotten by another instance
    }

    /// <summary>Releases handles and stops watching. Deliberately leaves running tests alone: a restart must not kill them.</summary>
    public void Dispose()
    {
        _shutdown.Cancel();
        foreach (var run in _runs.Values) run.Release();
        _shutdown.Dispose();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted run {RunId} on {EnvironmentKey} (process group {ProcessGroup}) from the registry")]
    private partial void LogRunAdopted(string runId, string environmentKey, int processGroup);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgot finished run {RunId} on {EnvironmentKey}")]
    private partial void LogRunForgotten(string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "The shell of run {RunId} on {EnvironmentKey} exited with code {ExitCode}")]
    private partial void LogRunExited(string runId, string environmentKey, int exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost track of run {RunId} on {EnvironmentKey}")]
    private partial void LogWatchFailed(Exception exception, string runId, string environmentKey);
}
