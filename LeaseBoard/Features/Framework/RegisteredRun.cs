using System.Diagnostics;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// One run of the registry as this instance sees it: its record, its log read so far, and its process while
/// this instance is the parent. The record on disk is the truth; this is a cache of it.
/// </summary>
internal sealed class RegisteredRun
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
                { } code => new RunStatus(RunPhase.Failed, _log.Progress, _log.LastActivityUtc, $"Exited with code {code}{ProcessCommandRunner.SignalNote(code)}.{lastOutput}"),
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
