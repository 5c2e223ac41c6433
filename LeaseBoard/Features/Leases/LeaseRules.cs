using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// The lease engine's decisions that need no database, framework, clock or log: pure functions of run and
/// reservation states, times, attempt counts and options. <see cref="LeaseEngine"/> reads the state, asks
/// these what should happen, and does it.
/// </summary>
public static class LeaseRules
{
    /// <summary>Hangfire stores schedules in whole seconds and may fire a little early.</summary>
    public static readonly TimeSpan EarlyFireTolerance = TimeSpan.FromSeconds(2);

    /// <summary>How soon a reservation waiting for its environment (still stopping or cleaning) looks again.</summary>
    public static readonly TimeSpan WaitForEnvironmentRecheck = TimeSpan.FromSeconds(15);

    /// <summary>A start closer than this gets no readiness job of its own: the probe at the start comes as soon.</summary>
    public static readonly TimeSpan ReadinessAtStartOnly = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When a scheduled reservation's readiness check runs: <paramref name="lead"/> before its start, or at once when that
    /// has passed (booked or moved inside the lead); null when the check is off (lead 0) or the start is less than
    /// <see cref="ReadinessAtStartOnly"/> away.
    /// </summary>
    public static DateTime? ReadinessDue(DateTime nowUtc, DateTime startUtc, TimeSpan lead)
    {
        if (lead <= TimeSpan.Zero || startUtc - nowUtc < ReadinessAtStartOnly) return null;
        var due = startUtc - lead;
        return due > nowUtc ? due : nowUtc;
    }

    /// <summary>A due time has come (within the early-fire tolerance); no due time is never due.</summary>
    public static bool IsDue(DateTime? dueUtc, DateTime nowUtc) => dueUtc <= nowUtc + EarlyFireTolerance;

    /// <summary>A due time still lies ahead (beyond the early-fire tolerance); no due time is never early.</summary>
    public static bool IsEarly(DateTime? dueUtc, DateTime nowUtc) => dueUtc > nowUtc + EarlyFireTolerance;

    /// <summary>What the start trigger does with a scheduled reservation.</summary>
    public static ClaimStep DecideClaim(DateTime nowUtc, DateTime startUtc, DateTime endUtc, bool environmentBookable, EnvironmentState environmentState)
    {
        if (nowUtc < startUtc - EarlyFireTolerance) return ClaimStep.ComeBackAtStart;
        if (nowUtc >= endUtc) return ClaimStep.Missed;
        if (!environmentBookable) return ClaimStep.NotBookable;
        if (environmentState != EnvironmentState.Available) return ClaimStep.WaitForEnvironment;
        return ClaimStep.Claim;
    }

    /// <summary>After a failed start: the last allowed attempt, or a stale fencing token (no retry can succeed), fails the lease.</summary>
    public static bool GivesUpStarting(int startAttempts, bool staleToken, LeaseOptions options) =>
        startAttempts >= options.MaxStartAttempts || staleToken;

    /// <summary>The back-off before the next start attempt: the configured delay, doubled after each failed attempt.</summary>
    public static TimeSpan StartRetryDelay(int startAttempts, LeaseOptions options) =>
        options.StartRetryDelay * Math.Pow(2, startAttempts - 1);

    /// <summary>
    /// Whether the framework's run id can be saved on the run: it is already saved (an idempotent repeat of the
    /// start), it can be saved now, or the lease is no longer open for this run.
    /// </summary>
    public static RecordStep RecordStarted(TestRunState runState, string? recordedRunId, string frameworkRunId)
    {
        if (recordedRunId == frameworkRunId && runState != TestRunState.Starting) return RecordStep.AlreadyRecorded;
        if (runState != TestRunState.Starting || recordedRunId is not null && recordedRunId != frameworkRunId) return RecordStep.LeaseGone;
        return RecordStep.Record;
    }

    /// <summary>The deadline trigger fired before the slot's end (or the slot moved later): schedule it again.</summary>
    public static bool DeadlineFiredEarly(DateTime nowUtc, DateTime endUtc, ReservationState reservationState) =>
        nowUtc < endUtc - EarlyFireTolerance && reservationState == ReservationState.Active;

    /// <summary>A run the framework never started is ended, not started, once the lease was released or its slot is over.</summary>
    public static bool EndsBeforeStart(ReservationState reservationState, DateTime nowUtc, DateTime endUtc) =>
        reservationState is ReservationState.Releasing or ReservationState.ForceReleased || nowUtc >= endUtc;

    /// <summary>The reservation's end state when its run ended before it was started.</summary>
    public static ReservationState UnstartedEndState(ReservationState reservationState) =>
        reservationState == ReservationState.Releasing ? ReservationState.Completed : ReservationState.TimedOut;

    /// <summary>Why a started run must be stopped now, or null when it may go on (then it is polled).</summary>
    public static RunStopReason? StopReasonFor(ReservationState reservationState, DateTime nowUtc, DateTime endUtc) => reservationState switch
    {
        ReservationState.ForceReleased => RunStopReason.ForceReleased,
        ReservationState.Releasing => RunStopReason.Released,
        _ when nowUtc >= endUtc - EarlyFireTolerance => RunStopReason.Deadline,
        _ => null,
    };

    /// <summary>How the run and its lease end when the framework reports the run over; null while it runs.</summary>
    public static RunEnd? EndReported(RunStatus status) => status.Phase switch
    {
        RunPhase.Succeeded => new RunEnd(TestRunState.Succeeded, ReservationState.Completed, $"Test passed. {status.Detail}".Trim()),
        RunPhase.Failed => new RunEnd(TestRunState.Failed, ReservationState.Failed, $"Test failed: {status.Detail}"),
        RunPhase.Unknown => new RunEnd(TestRunState.Lost, ReservationState.Failed, $"The test framework lost track of the run: {status.Detail}"),
        _ => null,
    };

    /// <summary>
    /// The run's last progress after a poll: the framework's last activity (never in the future), else now if the
    /// percentage moved, else as it was.
    /// </summary>
    public static DateTime? LastProgress(DateTime? previousUtc, DateTime? lastActivityUtc, bool progressed, DateTime nowUtc) =>
        lastActivityUtc is { } activity ? (activity > nowUtc ? nowUtc : activity)
        : progressed ? nowUtc
        : previousUtc;

    /// <summary>No progress (or no answer at all) since the last progress, or the start, for the hang timeout.</summary>
    public static bool IsHung(DateTime? lastProgressUtc, DateTime startedUtc, DateTime nowUtc, TimeSpan hangTimeout) =>
        nowUtc - (lastProgressUtc ?? startedUtc) >= hangTimeout;

    /// <summary>The run's detail when a graceful stop is sent; <paramref name="quietFor"/> is the time without progress.</summary>
    public static string StoppingDetail(RunStopReason reason, TimeSpan quietFor) => reason switch
    {
        RunStopReason.Hung => $"No progress for {Describe(quietFor)}: stopping the hung test.",
        RunStopReason.Deadline => "Still running at the end of the slot: stopping it.",
        RunStopReason.Released => "Released early: stopping the test.",
        RunStopReason.ForceReleased => "Force-released by an admin: stopping the test.",
        _ => "Stopping.",
    };

    /// <summary>After the graceful stop's grace period the run is force-stopped; after the force stop's, a person must look.</summary>
    public static StopStep NextStopStep(int stopAttempts) => stopAttempts < 2 ? StopStep.ForceStop : StopStep.NeedsAttention;

    /// <summary>The run's end state once a stop ended it: a run that passed meanwhile passed, otherwise the stop's reason decides.</summary>
    public static TestRunState RunStateAfterStop(RunStopReason reason, RunPhase phase) =>
        phase == RunPhase.Succeeded ? TestRunState.Succeeded : StoppedRunState(reason);

    public static TestRunState StoppedRunState(RunStopReason reason) => reason switch
    {
        RunStopReason.Hung => TestRunState.Hung,
        RunStopReason.Deadline => TestRunState.TimedOut,
        _ => TestRunState.Killed,
    };

    /// <summary>The reservation's end state after a stop, from why it was stopped and how the run ended.</summary>
    public static ReservationState FinalState(RunStopReason reason, RunPhase phase) => (reason, phase) switch
    {
        (RunStopReason.ForceReleased, _) => ReservationState.ForceReleased,
        (_, RunPhase.Succeeded) => ReservationState.Completed,
        (RunStopReason.Released, _) => ReservationState.Completed,
        (RunStopReason.Deadline, _) => ReservationState.TimedOut,
        _ => ReservationState.Failed,
    };

    /// <summary>The outcome sentence after a stop.</summary>
    public static string Explain(RunStopReason reason, RunPhase phase, int progressPercent, TimeSpan hangTimeout) => (reason, phase) switch
    {
        (_, RunPhase.Succeeded) => "Test passed.",
        (RunStopReason.Hung, _) => $"Hung: no progress for {Describe(hangTimeout)} at {progressPercent}%; the test was stopped.",
        (RunStopReason.Deadline, _) => $"Timed out: still running at the end of the slot ({progressPercent}%); the test was stopped.",
        (RunStopReason.Released, _) => $"Released early by the owner at {progressPercent}%.",
        (RunStopReason.ForceReleased, _) => "Force-released by an admin.",
        _ => "Stopped.",
    };

    /// <summary>
    /// Who a finished run's end is due to, from how it ended: passed; stopped by its owner (a release) or an admin (a force
    /// release); the infrastructure's when the framework lost it, never started it, or the environment was unhealthy while
    /// it ran; else hung, overran or the test's own failure. A test failure may still turn out to be the environment's
    /// when its cleanup fails (<see cref="EnvironmentFailedAfter"/>).
    /// </summary>
    /// <param name="reservationState">The reservation's state before the run closed it: Releasing or ForceReleased mean someone stopped it.</param>
    public static RunAttribution Attribute(TestRunState runState, ReservationState reservationState, bool started, bool unhealthyDuringRun) => runState switch
    {
        TestRunState.Succeeded => RunAttribution.Passed,
        _ when reservationState is ReservationState.Releasing or ReservationState.ForceReleased => RunAttribution.Stopped,
        TestRunState.Lost => RunAttribution.Infrastructure,
        _ when !started || unhealthyDuringRun => RunAttribution.Infrastructure,
        TestRunState.Hung => RunAttribution.Hung,
        TestRunState.TimedOut => RunAttribution.Overran,
        _ => RunAttribution.Test,
    };

    /// <summary>Whether the attribution can only be decided with the environment's health during the run (one query).</summary>
    public static bool NeedsHealthDuringRun(TestRunState runState, ReservationState reservationState, bool started) =>
        Attribute(runState, reservationState, started, unhealthyDuringRun: false) is RunAttribution.Test or RunAttribution.Hung or RunAttribution.Overran;

    /// <summary>A test failure is the environment's after all when the environment fails its cleanup right after it.</summary>
    public static bool EnvironmentFailedAfter(RunAttribution? attribution) => attribution == RunAttribution.Test;

    /// <summary>The sentence an infrastructure failure adds to the owner's outcome.</summary>
    public static string InfrastructureSentence(string environmentName) =>
        $"{environmentName} failed under your test; this run does not count against your weekly hours.";

    /// <summary>
    /// Whether an environment's recent runs call for an automatic quarantine: at least <paramref name="threshold"/> of the
    /// last runs (newest first, at most the window) failed through the infrastructure. A threshold of 0 turns it off.
    /// </summary>
    public static bool TooManyInfrastructureFailures(IReadOnlyList<RunAttribution?> newestFirst, int window, int threshold) =>
        threshold > 0 && newestFirst.Take(window).Count(a => a == RunAttribution.Infrastructure) >= threshold;

    /// <summary>A force-released reservation stays force-released, with the admin's reason, whatever its run did.</summary>
    public static ReservationState ClosingState(ReservationState current, ReservationState proposed) =>
        current == ReservationState.ForceReleased ? current : proposed;

    /// <inheritdoc cref="ClosingState"/>
    public static string ClosingOutcome(ReservationState current, string? currentOutcome, string outcome) =>
        current == ReservationState.ForceReleased && currentOutcome is { } reason ? reason : outcome;

    /// <summary>Why a reservation cannot be force-released, in a sentence for the admin; null when it can.</summary>
    public static string? ForceReleaseRefusal(ReservationState state, string? outcome)
    {
        if (state == ReservationState.ForceReleased)
            return $"Already force-released: {outcome}";
        if (state is not (ReservationState.Active or ReservationState.Releasing))
            return $"Not running: the reservation is {state.ToString().ToLowerInvariant()}" + (outcome is null ? "." : $" ({outcome}).");
        return null;
    }

    /// <summary>A span in whole minutes (at least one), as the booking rules word it.</summary>
    public static string Describe(TimeSpan span) =>
        Booking.BookingRules.Describe(TimeSpan.FromMinutes(Math.Max(1, Math.Round(span.TotalMinutes))));
}

public enum ClaimStep { ComeBackAtStart, Missed, NotBookable, WaitForEnvironment, Claim }

public enum RecordStep { AlreadyRecorded, Record, LeaseGone }

public enum StopStep { ForceStop, NeedsAttention }

/// <summary>How a run and its lease end: the run's state, the reservation's state and the outcome sentence.</summary>
public sealed record RunEnd(TestRunState RunState, ReservationState ReservationState, string Outcome);
