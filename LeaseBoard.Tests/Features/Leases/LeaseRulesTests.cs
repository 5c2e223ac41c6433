using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>The pure decisions of <see cref="LeaseRules"/>, with the shipped <see cref="LeaseOptions"/> unless a test says otherwise.</summary>
public sealed class LeaseRulesTests
{
    private static readonly LeaseOptions Defaults = new();
    private static readonly DateTime Start = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime End = Start.AddHours(1);

    private static DateTime At(double minutesAfterStart) => Start.AddMinutes(minutesAfterStart);

    [Fact]
    public void A_start_trigger_more_than_the_tolerance_early_comes_back_at_the_start_but_one_within_it_claims()
    {
        Assert.Equal(ClaimStep.ComeBackAtStart, LeaseRules.DecideClaim(Start.AddSeconds(-3), Start, End, true, EnvironmentState.Available));
        Assert.Equal(ClaimStep.Claim, LeaseRules.DecideClaim(Start.AddSeconds(-2), Start, End, true, EnvironmentState.Available));
    }

    [Fact]
    public void A_start_trigger_at_or_after_the_slot_end_marks_the_reservation_missed()
    {
        Assert.Equal(ClaimStep.Missed, LeaseRules.DecideClaim(End, Start, End, true, EnvironmentState.Available));
        Assert.Equal(ClaimStep.Claim, LeaseRules.DecideClaim(End.AddSeconds(-1), Start, End, true, EnvironmentState.Available));
    }

    [Fact]
    public void A_start_on_an_unbookable_environment_fails_and_one_on_a_busy_environment_waits()
    {
        Assert.Equal(ClaimStep.NotBookable, LeaseRules.DecideClaim(At(1), Start, End, false, EnvironmentState.Quarantined));
        Assert.Equal(ClaimStep.WaitForEnvironment, LeaseRules.DecideClaim(At(1), Start, End, true, EnvironmentState.CleaningUp));
        Assert.Equal(ClaimStep.WaitForEnvironment, LeaseRules.DecideClaim(At(1), Start, End, true, EnvironmentState.Leased));
    }

    [Fact]
    public void Due_and_early_allow_the_tolerance_and_treat_no_due_time_as_neither()
    {
        Assert.True(LeaseRules.IsDue(Start.AddSeconds(2), Start));
        Assert.False(LeaseRules.IsDue(Start.AddSeconds(3), Start));
        Assert.True(LeaseRules.IsEarly(Start.AddSeconds(3), Start));
        Assert.False(LeaseRules.IsEarly(Start.AddSeconds(2), Start));
        Assert.False(LeaseRules.IsDue(null, Start));
        Assert.False(LeaseRules.IsEarly(null, Start));
    }

    [Fact]
    public void Starting_gives_up_after_the_last_allowed_attempt_or_at_once_on_a_stale_token()
    {
        Assert.False(LeaseRules.GivesUpStarting(Defaults.MaxStartAttempts - 1, staleToken: false, Defaults));
        Assert.True(LeaseRules.GivesUpStarting(Defaults.MaxStartAttempts, staleToken: false, Defaults));
        Assert.True(LeaseRules.GivesUpStarting(1, staleToken: true, Defaults));
    }

    [Fact]
    public void The_start_retry_delay_doubles_after_each_failed_attempt()
    {
        var options = new LeaseOptions { StartRetryDelay = TimeSpan.FromSeconds(10) };

        Assert.Equal(TimeSpan.FromSeconds(10), LeaseRules.StartRetryDelay(1, options));
        Assert.Equal(TimeSpan.FromSeconds(20), LeaseRules.StartRetryDelay(2, options));
        Assert.Equal(TimeSpan.FromSeconds(40), LeaseRules.StartRetryDelay(3, options));
    }

    [Fact]
    public void A_started_run_id_is_recorded_once_kept_on_a_repeat_and_refused_when_another_run_holds_the_lease()
    {
        Assert.Equal(RecordStep.Record, LeaseRules.RecordStarted(TestRunState.Starting, null, "run-1"));
        Assert.Equal(RecordStep.AlreadyRecorded, LeaseRules.RecordStarted(TestRunState.Running, "run-1", "run-1"));
        Assert.Equal(RecordStep.LeaseGone, LeaseRules.RecordStarted(TestRunState.Starting, "run-2", "run-1"));
        Assert.Equal(RecordStep.LeaseGone, LeaseRules.RecordStarted(TestRunState.Killed, null, "run-1"));
    }

    [Fact]
    public void The_deadline_trigger_fired_early_is_rescheduled_only_for_an_active_lease()
    {
        Assert.True(LeaseRules.DeadlineFiredEarly(End.AddSeconds(-3), End, ReservationState.Active));
        Assert.False(LeaseRules.DeadlineFiredEarly(End.AddSeconds(-2), End, ReservationState.Active));
        Assert.False(LeaseRules.DeadlineFiredEarly(End.AddSeconds(-3), End, ReservationState.Releasing));
    }

    [Fact]
    public void A_run_never_started_ends_when_released_or_when_its_slot_is_over_and_an_owner_release_completes()
    {
        Assert.True(LeaseRules.EndsBeforeStart(ReservationState.Releasing, At(1), End));
        Assert.True(LeaseRules.EndsBeforeStart(ReservationState.ForceReleased, At(1), End));
        Assert.True(LeaseRules.EndsBeforeStart(ReservationState.Active, End, End));
        Assert.False(LeaseRules.EndsBeforeStart(ReservationState.Active, End.AddSeconds(-1), End));
        Assert.Equal(ReservationState.Completed, LeaseRules.UnstartedEndState(ReservationState.Releasing));
        Assert.Equal(ReservationState.TimedOut, LeaseRules.UnstartedEndState(ReservationState.Active));
    }

    [Fact]
    public void A_running_test_is_stopped_for_a_force_release_a_release_or_its_deadline_in_that_order()
    {
        Assert.Equal(RunStopReason.ForceReleased, LeaseRules.StopReasonFor(ReservationState.ForceReleased, End, End));
        Assert.Equal(RunStopReason.Released, LeaseRules.StopReasonFor(ReservationState.Releasing, End, End));
        Assert.Equal(RunStopReason.Deadline, LeaseRules.StopReasonFor(ReservationState.Active, End.AddSeconds(-2), End));
        Assert.Null(LeaseRules.StopReasonFor(ReservationState.Active, End.AddSeconds(-3), End));
    }

    [Fact]
    public void A_reported_end_closes_the_run_and_lease_with_the_frameworks_detail()
    {
        Assert.Equal(new RunEnd(TestRunState.Succeeded, ReservationState.Completed, "Test passed. all green"),
            LeaseRules.EndReported(new RunStatus(RunPhase.Succeeded, 100, null, "all green")));
        Assert.Equal(new RunEnd(TestRunState.Succeeded, ReservationState.Completed, "Test passed."),
            LeaseRules.EndReported(new RunStatus(RunPhase.Succeeded, 100, null)));
        Assert.Equal(new RunEnd(TestRunState.Failed, ReservationState.Failed, "Test failed: exit 3"),
            LeaseRules.EndReported(new RunStatus(RunPhase.Failed, 40, null, "exit 3")));
        Assert.Equal(new RunEnd(TestRunState.Lost, ReservationState.Failed, "The test framework lost track of the run: gone"),
            LeaseRules.EndReported(RunStatus.Unknown("gone")));
        Assert.Null(LeaseRules.EndReported(new RunStatus(RunPhase.Running, 40, null)));
    }

    [Fact]
    public void Last_progress_takes_the_frameworks_activity_capped_at_now_else_now_when_the_percentage_moved()
    {
        var previous = At(1);
        var now = At(10);

        Assert.Equal(At(5), LeaseRules.LastProgress(previous, At(5), progressed: false, now));
        Assert.Equal(now, LeaseRules.LastProgress(previous, At(20), progressed: false, now));
        Assert.Equal(now, LeaseRules.LastProgress(previous, null, progressed: true, now));
        Assert.Equal(previous, LeaseRules.LastProgress(previous, null, progressed: false, now));
    }

    [Fact]
    public void A_run_is_hung_after_the_hang_timeout_without_progress_counted_from_its_start_if_it_never_progressed()
    {
        var timeout = TimeSpan.FromMinutes(15);

        Assert.True(LeaseRules.IsHung(At(5), Start, At(20), timeout));
        Assert.False(LeaseRules.IsHung(At(5), Start, At(19.9), timeout));
        Assert.True(LeaseRules.IsHung(null, Start, At(15), timeout));
        Assert.False(LeaseRules.IsHung(null, Start, At(14.9), timeout));
    }

    [Fact]
    public void The_stopping_detail_names_why_the_test_is_stopped()
    {
        Assert.Equal("No progress for 16 minutes: stopping the hung test.", LeaseRules.StoppingDetail(RunStopReason.Hung, TimeSpan.FromMinutes(15.6)));
        Assert.Equal("Still running at the end of the slot: stopping it.", LeaseRules.StoppingDetail(RunStopReason.Deadline, TimeSpan.Zero));
        Assert.Equal("Released early: stopping the test.", LeaseRules.StoppingDetail(RunStopReason.Released, TimeSpan.Zero));
        Assert.Equal("Force-released by an admin: stopping the test.", LeaseRules.StoppingDetail(RunStopReason.ForceReleased, TimeSpan.Zero));
        Assert.Equal("Stopping.", LeaseRules.StoppingDetail(RunStopReason.Orphan, TimeSpan.Zero));
    }

    [Fact]
    public void A_graceful_stop_escalates_to_a_force_stop_and_a_failed_force_stop_needs_a_person()
    {
        Assert.Equal(StopStep.ForceStop, LeaseRules.NextStopStep(1));
        Assert.Equal(StopStep.NeedsAttention, LeaseRules.NextStopStep(2));
    }

    [Theory]
    [InlineData(RunStopReason.Hung, TestRunState.Hung)]
    [InlineData(RunStopReason.Deadline, TestRunState.TimedOut)]
    [InlineData(RunStopReason.Released, TestRunState.Killed)]
    [InlineData(RunStopReason.ForceReleased, TestRunState.Killed)]
    public void A_stopped_run_ends_in_the_state_of_its_stop_reason_unless_it_passed_meanwhile(RunStopReason reason, TestRunState expected)
    {
        Assert.Equal(expected, LeaseRules.StoppedRunState(reason));
        Assert.Equal(expected, LeaseRules.RunStateAfterStop(reason, RunPhase.Failed));
        Assert.Equal(TestRunState.Succeeded, LeaseRules.RunStateAfterStop(reason, RunPhase.Succeeded));
    }

    [Theory]
    [InlineData(RunStopReason.ForceReleased, RunPhase.Succeeded, ReservationState.ForceReleased)]
    [InlineData(RunStopReason.Deadline, RunPhase.Succeeded, ReservationState.Completed)]
    [InlineData(RunStopReason.Released, RunPhase.Failed, ReservationState.Completed)]
    [InlineData(RunStopReason.Deadline, RunPhase.Failed, ReservationState.TimedOut)]
    [InlineData(RunStopReason.Hung, RunPhase.Failed, ReservationState.Failed)]
    [InlineData(RunStopReason.Hung, RunPhase.Unknown, ReservationState.Failed)]
    public void A_reservation_ends_by_why_its_run_was_stopped_and_how_the_run_ended(RunStopReason reason, RunPhase phase, ReservationState expected) =>
        Assert.Equal(expected, LeaseRules.FinalState(reason, phase));

    [Fact]
    public void The_outcome_after_a_stop_explains_it_with_the_progress_reached()
    {
        var hang = TimeSpan.FromMinutes(15);

        Assert.Equal("Test passed.", LeaseRules.Explain(RunStopReason.Hung, RunPhase.Succeeded, 100, hang));
        Assert.Equal("Hung: no progress for 15 minutes at 42%; the test was stopped.", LeaseRules.Explain(RunStopReason.Hung, RunPhase.Failed, 42, hang));
        Assert.Equal("Timed out: still running at the end of the slot (80%); the test was stopped.", LeaseRules.Explain(RunStopReason.Deadline, RunPhase.Failed, 80, hang));
        Assert.Equal("Released early by the owner at 30%.", LeaseRules.Explain(RunStopReason.Released, RunPhase.Failed, 30, hang));
        Assert.Equal("Force-released by an admin.", LeaseRules.Explain(RunStopReason.ForceReleased, RunPhase.Failed, 30, hang));
        Assert.Equal("Stopped.", LeaseRules.Explain(RunStopReason.Orphan, RunPhase.Failed, 30, hang));
    }

    [Fact]
    public void A_force_released_reservation_keeps_its_state_and_the_admins_reason_when_its_run_ends()
    {
        Assert.Equal(ReservationState.ForceReleased, LeaseRules.ClosingState(ReservationState.ForceReleased, ReservationState.Completed));
        Assert.Equal(ReservationState.Completed, LeaseRules.ClosingState(ReservationState.Active, ReservationState.Completed));
        Assert.Equal("Force-released by admin: leak", LeaseRules.ClosingOutcome(ReservationState.ForceReleased, "Force-released by admin: leak", "Test passed."));
        Assert.Equal("Test passed.", LeaseRules.ClosingOutcome(ReservationState.ForceReleased, null, "Test passed."));
        Assert.Equal("Test passed.", LeaseRules.ClosingOutcome(ReservationState.Active, "older outcome", "Test passed."));
    }

    [Fact]
    public void Only_an_active_or_releasing_lease_can_be_force_released_and_a_refusal_says_why()
    {
        Assert.Null(LeaseRules.ForceReleaseRefusal(ReservationState.Active, null));
        Assert.Null(LeaseRules.ForceReleaseRefusal(ReservationState.Releasing, null));
        Assert.Equal("Already force-released: Force-released by ana: leak", LeaseRules.ForceReleaseRefusal(ReservationState.ForceReleased, "Force-released by ana: leak"));
        Assert.Equal("Not running: the reservation is scheduled.", LeaseRules.ForceReleaseRefusal(ReservationState.Scheduled, null));
        Assert.Equal("Not running: the reservation is completed (Test passed.).", LeaseRules.ForceReleaseRefusal(ReservationState.Completed, "Test passed."));
    }

    [Fact]
    public void Spans_are_described_in_whole_minutes_and_never_less_than_one()
    {
        Assert.Equal("1 minute", LeaseRules.Describe(TimeSpan.FromSeconds(5)));
        Assert.Equal("2 minutes", LeaseRules.Describe(TimeSpan.FromSeconds(100)));
        Assert.Equal("2 hours", LeaseRules.Describe(TimeSpan.FromHours(2)));
    }

    [Theory]
    [InlineData(TestRunState.Succeeded, ReservationState.Active, true, true, RunAttribution.Passed)]
    [InlineData(TestRunState.Failed, ReservationState.Active, true, false, RunAttribution.Test)]
    [InlineData(TestRunState.Failed, ReservationState.Active, true, true, RunAttribution.Infrastructure)]
    [InlineData(TestRunState.Failed, ReservationState.Active, false, false, RunAttribution.Infrastructure)] // the framework never started it
    [InlineData(TestRunState.Lost, ReservationState.Active, true, false, RunAttribution.Infrastructure)]
    [InlineData(TestRunState.Hung, ReservationState.Active, true, false, RunAttribution.Hung)]
    [InlineData(TestRunState.Hung, ReservationState.Active, true, true, RunAttribution.Infrastructure)] // a sick environment explains the hang
    [InlineData(TestRunState.TimedOut, ReservationState.Active, true, false, RunAttribution.Overran)]
    [InlineData(TestRunState.Killed, ReservationState.Releasing, true, false, RunAttribution.Stopped)]
    [InlineData(TestRunState.Killed, ReservationState.ForceReleased, false, true, RunAttribution.Stopped)]
    [InlineData(TestRunState.Lost, ReservationState.ForceReleased, true, false, RunAttribution.Stopped)]
    public void Each_way_a_run_ends_is_attributed_to_the_test_the_infrastructure_a_hang_an_overrun_or_a_person(
        TestRunState runState, ReservationState reservationState, bool started, bool unhealthyDuringRun, RunAttribution expected)
    {
        Assert.Equal(expected, LeaseRules.Attribute(runState, reservationState, started, unhealthyDuringRun));
        // The health during the run is read (one query) only where it can change the answer.
        var needs = LeaseRules.NeedsHealthDuringRun(runState, reservationState, started);
        Assert.Equal(needs, LeaseRules.Attribute(runState, reservationState, started, true) != LeaseRules.Attribute(runState, reservationState, started, false));
    }

    [Fact]
    public void The_automatic_quarantine_counts_infrastructure_failures_among_the_newest_runs_of_the_window_only()
    {
        RunAttribution? I = RunAttribution.Infrastructure, T = RunAttribution.Test, P = RunAttribution.Passed;
        Assert.True(LeaseRules.TooManyInfrastructureFailures([I, T, I, I, P], window: 5, threshold: 3));
        Assert.False(LeaseRules.TooManyInfrastructureFailures([P, P, I, I, T, I], window: 5, threshold: 3)); // the sixth is outside the window
        Assert.False(LeaseRules.TooManyInfrastructureFailures([I, I, I], window: 5, threshold: 0)); // 0: off
        Assert.True(LeaseRules.EnvironmentFailedAfter(RunAttribution.Test));
        Assert.False(LeaseRules.EnvironmentFailedAfter(RunAttribution.Passed));
    }

    [Fact]
    public void A_readiness_check_is_due_its_lead_before_the_start_at_once_inside_the_lead_and_never_when_off_or_a_minute_from_the_start()
    {
        var lead = Defaults.ReadinessLead;
        Assert.Equal(TimeSpan.FromMinutes(10), lead);
        Assert.Equal(At(-10), LeaseRules.ReadinessDue(At(-60), Start, lead));
        Assert.Equal(At(-5), LeaseRules.ReadinessDue(At(-5), Start, lead)); // booked five minutes before: at once
        Assert.Null(LeaseRules.ReadinessDue(At(-0.5), Start, lead)); // the start's own probe comes as soon
        Assert.Null(LeaseRules.ReadinessDue(At(-60), Start, TimeSpan.Zero)); // off
    }

    [Fact]
    public void The_readiness_lead_is_validated_with_a_message_that_names_the_setting()
    {
        static List<string> Errors(LeaseOptions options)
        {
            var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true);
            return [.. results.Select(r => r.ErrorMessage!)];
        }

        Assert.Empty(Errors(new LeaseOptions { ReadinessLead = TimeSpan.Zero }));
        Assert.Equal(["LeaseBoard:Leases:ReadinessLead must be between 00:00:00 (off) and 1 day."], Errors(new LeaseOptions { ReadinessLead = TimeSpan.FromMinutes(-1) }));
        Assert.Equal(["LeaseBoard:Leases:ReadinessLead must be between 00:00:00 (off) and 1 day."], Errors(new LeaseOptions { ReadinessLead = TimeSpan.FromDays(2) }));
    }
}
