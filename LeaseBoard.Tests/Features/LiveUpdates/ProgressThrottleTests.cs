using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.LiveUpdates;

public sealed class ProgressThrottleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
    private readonly List<RunProgressed> _delivered = [];

    private ProgressThrottle Throttle() => new(_clock, TimeSpan.FromSeconds(1), e => { lock (_delivered) _delivered.Add(e); });

    [Fact]
    public void A_burst_of_progress_for_one_run_sends_the_first_at_once_and_the_latest_after_a_second()
    {
        using var throttle = Throttle();
        for (var p = 1; p <= 10; p++)
        {
            throttle.Offer(new RunProgressed(1, 1, p, TestRunState.Running));
            _clock.Advance(TimeSpan.FromMilliseconds(50));
        }
        Assert.Equal([1], _delivered.Select(e => e.ProgressPercent));

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal([1, 10], _delivered.Select(e => e.ProgressPercent));
    }

    [Fact]
    public void Runs_are_throttled_separately_and_the_end_of_a_run_is_never_held_back()
    {
        using var throttle = Throttle();
        throttle.Offer(new RunProgressed(1, 1, 10, TestRunState.Running));
        throttle.Offer(new RunProgressed(2, 2, 20, TestRunState.Running));
        throttle.Offer(new RunProgressed(1, 1, 11, TestRunState.Running));
        throttle.Offer(new RunProgressed(1, 1, 100, TestRunState.Succeeded));
        Assert.Equal([10, 20, 100], _delivered.Select(e => e.ProgressPercent));

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(3, _delivered.Count); // the held 11 was superseded by the final state
    }

    [Fact]
    public void Progress_spaced_a_second_apart_all_goes_through()
    {
        using var throttle = Throttle();
        for (var p = 0; p < 5; p++)
        {
            throttle.Offer(new RunProgressed(1, 1, p, TestRunState.Running));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal([0, 1, 2, 3, 4], _delivered.Select(e => e.ProgressPercent));
    }
}
