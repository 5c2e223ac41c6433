using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// Ten people book greedily for a week through the real guard: each, in turn (a shuffled order every round), takes
/// the earliest three-hour start from Monday 10:00 on and as many environments at it as the guard allows, until a
/// limit no later slot can fix stops them. With the share of the pool (2 of 5 at once) nobody holds more than their share and everybody gets the
/// first morning; without it, the first people take the whole pool. The distribution is printed.
/// </summary>
public sealed class FairnessSimulationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Slot = TimeSpan.FromHours(3);
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(10);
    private static readonly Actor[] People = Enumerable.Range(1, 10).Select(i => new Actor($"local:user{i:00}", $"User {i:00}", IsAdmin: false)).ToArray();

    private sealed record Share(Actor Person, List<(DateTime Start, DateTime End)> Slots)
    {
        public double Hours => Slots.Sum(s => (s.End - s.Start).TotalHours);
        public int MostAtOnce => Slots.Max(s => Slots.Count(o => o.Start < s.End && o.End > s.Start && o.Start <= s.Start));
        public DateTime First => Slots.Min(s => s.Start);
    }

    [Fact]
    public async Task Ten_greedy_people_for_a_week_each_get_slots_and_nobody_holds_more_than_their_share()
    {
        var shares = await SimulateAsync(new BookingOptions());
        Print("with the share (2 of 5 at once, 10 upcoming, 24 h a week)", shares);

        Assert.All(shares, s => Assert.NotEmpty(s.Slots));
        Assert.All(shares, s => Assert.True(s.MostAtOnce <= 2, $"{s.Person.DisplayName} held {s.MostAtOnce} at once"));
        Assert.All(shares, s => Assert.True(s.Hours <= 24, $"{s.Person.DisplayName} booked {s.Hours} h"));
        // The first morning is shared: five environments at Monday 10:00 go to at least three people.
        var firstMorning = shares.Where(s => s.Slots.Any(x => x.Start == Monday10)).ToList();
        Assert.True(firstMorning.Count >= 3, $"the first morning went to {firstMorning.Count} people");
        // Nobody waits past the first day for their first slot (without the share the last waits until Tuesday afternoon).
        Assert.All(shares, s => Assert.True(s.First < Monday10.Date.AddDays(1), $"{s.Person.DisplayName} first got {s.First:ddd HH:mm}"));
        // The greedy demand is met in full: every person reaches their weekly hours.
        Assert.All(shares, s => Assert.Equal(24, s.Hours));
    }

    [Fact]
    public async Task Without_the_share_the_first_greedy_person_takes_the_whole_pool_at_once()
    {
        var shares = await SimulateAsync(new BookingOptions { MaxConcurrentPerUser = 5 });
        Print("without the share (5 of 5 at once)", shares);

        Assert.Contains(shares, s => s.MostAtOnce == 5);
        Assert.Single(shares, s => s.Slots.Any(x => x.Start == Monday10));
    }

    private static readonly DateTime Monday10 = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);

    private async Task<List<Share>> SimulateAsync(BookingOptions options)
    {
        await using var h = await BookingHarness.CreateAsync(options: options);
        var weekEnd = BookingRules.WeekStart(Monday10).AddDays(7) - Slot;
        var shares = People.Select(p => new Share(p, [])).ToList();
        var done = new HashSet<Actor>();
        // A start refused to a person stays refused to them (the pool and their holdings only fill up), so each keeps a cursor.
        var cursor = People.ToDictionary(p => p, _ => Monday10);
        var random = new Random(19);
        var attempts = 0;
        while (done.Count < People.Length)
        {
            foreach (var share in shares.OrderBy(_ => random.Next()).Where(s => !done.Contains(s.Person)))
            {
                // Greedy: the earliest start that takes a booking, then as many environments at that start as will go.
                var took = 0;
                for (var start = cursor[share.Person]; start <= weekEnd && took == 0; start += Step)
                {
                    cursor[share.Person] = start;
                    while (true)
                    {
                        attempts++;
                        var result = await h.BookAsync(null, start, Slot, share.Person, title: $"{share.Person.DisplayName} soak");
                        if (!result.Succeeded)
                        {
                            if (result.Outcome == BookingOutcome.LimitReached && NoLaterSlotHelps(result.Message)) start = weekEnd;
                            break;
                        }
                        share.Slots.Add((start, start + Slot));
                        took++;
                    }
                }
                if (took == 0) done.Add(share.Person);
            }
        }
        output.WriteLine($"{attempts} booking attempts through the guard");
        return shares;
    }

    /// <summary>The upcoming count and the weekly hours refuse every later slot of the week too; the share refuses only overlapping ones.</summary>
    private static bool NoLaterSlotHelps(string message) =>
        message.StartsWith("You already have", StringComparison.Ordinal) || message.StartsWith("This would bring you to", StringComparison.Ordinal);

    private void Print(string title, List<Share> shares)
    {
        output.WriteLine($"Fairness, ten greedy people for a week, {title}:");
        output.WriteLine("person    reservations  hours  most at once  first start");
        foreach (var s in shares.OrderBy(s => s.Person.Id))
            output.WriteLine($"{s.Person.DisplayName,-9} {s.Slots.Count,12} {s.Hours,6:0.#} {s.MostAtOnce,13}  {(s.Slots.Count == 0 ? "—" : s.First.ToString("ddd HH:mm"))}");
        var monday = shares.Count(s => s.Slots.Any(x => x.Start == Monday10));
        var last = shares.MaxBy(s => s.First)!;
        output.WriteLine($"people holding an environment at Monday 10:00: {monday}; the last first slot: {last.First:ddd HH:mm} ({(last.First - Monday10).TotalHours:0.#} h after the first); " +
                         $"hours booked: {shares.Sum(s => s.Hours):0.#} of {5 * 7 * 24} in the pool");
    }
}
