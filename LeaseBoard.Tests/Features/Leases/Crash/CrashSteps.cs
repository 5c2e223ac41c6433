using System.Diagnostics;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Leases.Crash;

/// <summary>
/// The waits and checks the crash tests share. Every wait has a deadline, stops as soon as the lease went
/// wrong (a run no longer going, a reservation no longer active) and fails with the app's log tail.
/// </summary>
internal static class CrashSteps
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>Waits until <paramref name="done"/> holds while the lease is active and its run starting or running.</summary>
    /// <remarks><paramref name="context"/> adds what else the test knows to a failure (e.g. which test processes live).</remarks>
    public static async Task<ReservationDto> WhileRunningAsync(CrashTestApp.ApiClient api, AppProcess app, int reservationId,
        Func<ReservationDto, bool> done, TimeSpan timeout, string what, Func<string>? context = null)
    {
        ReservationDto reservation;
        try
        {
            reservation = await Eventually.MatchesAsync(() => api.ReservationAsync(reservationId), r => done(r) || WentWrong(r) is not null,
                timeout, Poll, what);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(app.Describe(e.Message + (context is null ? "" : $" ({context()})")));
        }
        if (!done(reservation))
            Assert.Fail(app.Describe($"Waiting until {what}, the lease went wrong: {WentWrong(reservation)}" + (context is null ? "" : $" ({context()})")));
        return reservation;
    }

    /// <summary>Checks <paramref name="violation"/> every half second for <paramref name="period"/>: it must stay null.</summary>
    public static async Task HoldsForAsync(TimeSpan period, Func<Task<string?>> violation, AppProcess app, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < period)
        {
            if (await violation() is { } problem)
                Assert.Fail(app.Describe($"{what} stopped holding after {clock.Elapsed.TotalSeconds:0.0} s: {problem}"));
            await Task.Delay(Poll);
        }
    }

    /// <summary>Null while the lease is about to start or active with its run starting or running; otherwise what became of them.</summary>
    public static string? WentWrong(ReservationDto r) =>
        r.State is ReservationState.Scheduled or ReservationState.Active && r.Run is null or { State: TestRunState.Starting or TestRunState.Running }
            ? null
            : $"reservation {r.State} ({r.Outcome}); run {r.Run?.State.ToString() ?? "none"} ({r.Run?.Detail})";

    /// <summary>
    /// The restarted app adopted the run: the same TestRun row with the same framework run id, still Running, and
    /// one <c>run.adopted</c> audit entry for it.
    /// </summary>
    public static async Task AssertAdoptedAsync(CrashTestApp crash, AppProcess app, int reservationId, TestRun before)
    {
        var runs = await crash.RunsAsync(reservationId);
        var audit = await crash.AuditAsync(reservationId);
        var trail = string.Join("\n", audit.Select(a => $"  {a.AtUtc:HH:mm:ss.fff} {a.Action}: {a.Details}"));
        Assert.True(runs.Count == 1, app.Describe($"Expected the one TestRun row of before the crash, found {runs.Count}: " +
                                                  string.Join("; ", runs.Select(r => $"#{r.Id} {r.State} {r.FrameworkRunId}")) + $"\naudit:\n{trail}"));
        var after = runs[0];
        Assert.True((after.Id, after.FrameworkRunId, after.State) == (before.Id, before.FrameworkRunId, TestRunState.Running),
            app.Describe($"Expected run #{before.Id} ({before.FrameworkRunId}) Running after the restart, found #{after.Id} ({after.FrameworkRunId}) {after.State}: {after.Detail}\naudit:\n{trail}"));
        var adopted = audit.Count(a => a.Action == AuditActions.RunAdopted);
        Assert.True(adopted == 1, app.Describe($"Expected one '{AuditActions.RunAdopted}' audit entry for reservation {reservationId}, found {adopted}:\n{trail}"));
    }

    /// <summary>Waits until the lease is over: at most <see cref="CrashTestApp.EndTolerance"/> after its slot.</summary>
    public static async Task<ReservationDto> WaitForEndAsync(CrashTestApp.ApiClient api, AppProcess app, ReservationDto booked)
    {
        var timeout = booked.EndUtc - DateTime.UtcNow + CrashTestApp.EndTolerance + TimeSpan.FromSeconds(5);
        try
        {
            return await Eventually.MatchesAsync(() => api.ReservationAsync(booked.Id), r => !r.State.IsLive(), timeout, Poll,
                $"the lease ends (slot end {booked.EndUtc:HH:mm:ss} UTC)");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(app.Describe(e.Message));
        }
    }

    /// <summary>The deadline ended it: reservation and run TimedOut, within seconds after the slot's end.</summary>
    public static void AssertTimedOutAtTheDeadline(AppProcess app, ReservationDto ended)
    {
        Assert.True(ended is { State: ReservationState.TimedOut, Run.State: TestRunState.TimedOut },
            app.Describe($"Expected the deadline to time the lease out; reservation {ended.State} ({ended.Outcome}), run {ended.Run?.State} ({ended.Run?.Detail})"));
        var late = ended.EndedUtc!.Value - ended.EndUtc;
        Assert.True(late >= -TimeSpan.FromSeconds(2) && late <= CrashTestApp.EndTolerance,
            app.Describe($"The lease ended at {ended.EndedUtc:HH:mm:ss.fff}, {late.TotalSeconds:0.0} s after its slot's end {ended.EndUtc:HH:mm:ss}"));
    }

    /// <summary>After the lease the environment is cleaned and Available again.</summary>
    public static async Task WaitUntilAvailableAsync(CrashTestApp.ApiClient api, AppProcess app)
    {
        try
        {
            await Eventually.MatchesAsync(() => api.EnvironmentAsync(CrashTestApp.Environment),
                e => e is { State: EnvironmentState.Available, CurrentLease: null }, TimeSpan.FromSeconds(30), Poll,
                $"{CrashTestApp.Environment} is cleaned and Available");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(app.Describe(e.Message));
        }
    }
}
