using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;

namespace LeaseBoard.Features.Leases;

/// <summary>The watch and stop path: polling a run, detecting a hang, stopping graceful → force, and giving up.</summary>
public sealed partial class LeaseEngine
{
    private async Task PollAsync(LeaseBoardDb db, TestRun run, CancellationToken ct)
    {
        var environment = run.Reservation!.Environment!;
        var status = await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct);
        var now = Now;
        if (status is not null && LeaseRules.EndReported(status) is { } end)
        {
            await FinishRunAsync(db, run, end.RunState, end.ReservationState, end.Outcome, ct);
            return;
        }
        if (status is { Phase: RunPhase.Running })
        {
            var progressed = status.ProgressPercent != run.ProgressPercent;
            run.LastHeartbeatUtc = now;
            run.LastProgressUtc = LeaseRules.LastProgress(run.LastProgressUtc, status.LastActivityUtc, progressed, now);
            run.ProgressPercent = status.ProgressPercent;
            run.State = TestRunState.Running;
            if (!await SaveAsync(db, ct, () => { if (progressed) PublishRun(run); })) return;
        }

        if (LeaseRules.IsHung(run.LastProgressUtc, run.StartedUtc, now, Options.HangTimeout))
            await BeginStopAsync(db, run, RunStopReason.Hung, ct);
    }

    private async Task BeginStopAsync(LeaseBoardDb db, TestRun run, RunStopReason reason, CancellationToken ct)
    {
        var now = Now;
        var reservation = run.Reservation!;
        if (run.FrameworkRunId is null)
        {
            await FinishRunAsync(db, run, TestRunState.Killed, LeaseRules.FinalState(reason, RunPhase.Failed), "Stopped before the framework had started it.", ct);
            return;
        }
        run.State = TestRunState.Stopping;
        run.StopReason = reason;
        run.StopRequestedUtc = now;
        run.StopAttempts = 1;
        run.NextActionUtc = now + Options.StopGracePeriod;
        run.Detail = LeaseRules.StoppingDetail(reason, now - (run.LastProgressUtc ?? run.StartedUtc));
        Audit(db, AuditActions.RunStopping, reservation, run.Detail);
        if (!await SaveAsync(db, ct, () => PublishRun(run))) return;
        LogStopping(reservation.Id, reason);
        if (reason == RunStopReason.Hung) telemetry.RunHung(reservation.Environment!.Key);

        var delivered = await TryStopAsync(reservation.Environment!.Key, run.FrameworkRunId, force: false, ct);
        if (!delivered) run.Detail += " The stop request was not answered.";
        jobs.ScheduleRunCheck(reservation.Id, run.NextActionUtc!.Value);
        await ContinueStopAsync(db, run, ct);
    }

    /// <summary>Finishes the run once it has stopped; after the grace period forces it; after a failed force, quarantines the environment.</summary>
    private async Task ContinueStopAsync(LeaseBoardDb db, TestRun run, CancellationToken ct)
    {
        var reservation = run.Reservation!;
        var environment = reservation.Environment!;
        var reason = run.StopReason ?? RunStopReason.Deadline;
        var status = await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct);
        if (status is { Phase: not RunPhase.Running })
        {
            await FinishRunAsync(db, run, LeaseRules.RunStateAfterStop(reason, status.Phase), LeaseRules.FinalState(reason, status.Phase),
                Explain(reason, run, status.Phase), ct);
            return;
        }
        var now = Now;
        if (LeaseRules.IsEarly(run.NextActionUtc, now)) return;

        if (LeaseRules.NextStopStep(run.StopAttempts) == StopStep.ForceStop)
        {
            run.StopAttempts = 2;
            run.NextActionUtc = now + Options.StopGracePeriod;
            run.Detail = $"{run.Detail} No stop after {LeaseRules.Describe(Options.StopGracePeriod)}: force-stopping.";
            Audit(db, AuditActions.RunForceStopped, reservation, run.Detail);
            if (!await SaveAsync(db, ct)) return;
            var delivered = await TryStopAsync(environment.Key, run.FrameworkRunId!, force: true, ct);
            jobs.ScheduleRunCheck(reservation.Id, run.NextActionUtc.Value);
            var after = delivered ? await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct) : null;
            if (after is { Phase: not RunPhase.Running })
                await FinishRunAsync(db, run, LeaseRules.StoppedRunState(reason), LeaseRules.FinalState(reason, after.Phase),
                    Explain(reason, run, after.Phase), ct);
            return;
        }

        // Neither stop worked, and the framework may not even answer: a person must look at the environment.
        var problem = $"Run {run.FrameworkRunId} could not be stopped (graceful and force stop failed or went unanswered).";
        await FinishRunAsync(db, run, TestRunState.Lost, LeaseRules.FinalState(reason, RunPhase.Failed),
            $"{Explain(reason, run, RunPhase.Failed)} {problem}", ct, cleanUp: false);
        await care.QuarantineAsync(environment.Id, $"{TestEnvironment.NeedsAttentionPrefix} {problem}", Actor.System, ct);
    }

    private string Explain(RunStopReason reason, TestRun run, RunPhase phase) =>
        LeaseRules.Explain(reason, phase, run.ProgressPercent, Options.HangTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the run of reservation {ReservationId}: {Reason}")]
    private partial void LogStopping(int reservationId, RunStopReason reason);
}
