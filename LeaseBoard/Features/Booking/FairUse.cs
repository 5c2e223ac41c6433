using System.Globalization;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.Booking;

/// <summary>A live reservation the fair-use rules count: the booker's own, or a team mate's.</summary>
public sealed record HeldSlot(string OwnerId, string EnvironmentName, string Title, DateTime StartUtc, DateTime EndUtc)
{
    public bool Overlaps(DateTime startUtc, DateTime endUtc) => StartUtc < endUtc && EndUtc > startUtc;
}

/// <summary>What is asked for: who, in which team, which time, whether it moves a reservation they already hold, and now.</summary>
public sealed record FairUseClaim(string BookerId, TeamOptions? Team, DateTime StartUtc, DateTime EndUtc, bool IsMove, DateTime NowUtc)
{
    public TimeSpan Duration => EndUtc - StartUtc;
}

/// <summary>
/// The fair-use rules of a claim, as pure functions of the booker's (and their team's) live reservations and the
/// options: the upcoming count, the weekly hours, prime time's longest reservation, the share of the pool held at
/// once, and the team's budget and cap. Each refusal is a sentence that says what is held and what would work.
/// The guard runs it inside its transaction; the fairness simulation runs it directly.
/// </summary>
public static class FairUse
{
    /// <summary>At most this many reservations are named in a sentence.</summary>
    private const int Named = 4;

    public static string? Refusal(FairUseClaim claim, IReadOnlyList<HeldSlot> held, BookingOptions rules)
    {
        var mine = held.Where(h => h.OwnerId == claim.BookerId).ToList();
        if (!claim.IsMove && mine.Count(r => r.EndUtc > claim.NowUtc) >= rules.MaxUpcomingPerUser)
            return $"You already have {rules.MaxUpcomingPerUser} upcoming reservations, the most one person may hold. Cancel one or wait until one has run.";

        var weekStart = BookingRules.WeekStart(claim.StartUtc);
        var hours = HoursInWeek(mine, weekStart) + claim.Duration.TotalHours;
        if (hours > rules.MaxHoursPerWeekPerUser)
            return $"This would bring you to {hours:0.#} booked hours in the week of {weekStart:yyyy-MM-dd}; the limit is {rules.MaxHoursPerWeekPerUser:0.#} hours per person per week.";

        var prime = rules.PrimeTime;
        var inPrimeTime = InPrimeTime(claim.StartUtc, claim.EndUtc, prime);
        if (inPrimeTime && claim.Duration > prime.MaxDuration)
            return $"During prime time ({DescribePrimeTime(prime)}) a reservation may last at most {BookingRules.Describe(prime.MaxDuration)}; " +
                   $"this one lasts {BookingRules.Describe(claim.Duration)}. Book {BookingRules.Describe(prime.MaxDuration)}, or run the longer test outside those hours.";

        var cap = inPrimeTime ? prime.MaxConcurrentPerUser : rules.MaxConcurrentPerUser;
        if (Depth(mine, claim.StartUtc, claim.EndUtc) + 1 > cap)
        {
            var overlapping = mine.Where(r => r.Overlaps(claim.StartUtc, claim.EndUtc)).OrderBy(r => r.StartUtc).ToList();
            var when = inPrimeTime ? $" during prime time ({DescribePrimeTime(prime)})" : "";
            return $"You already hold {List(overlapping)} at that time; one person may hold at most {Environments(cap)} at once{when}. " +
                   $"{Instead(mine, claim, rules, c => c)} or cancel one of them.";
        }

        if (claim.Team is not { } team) return null;
        var teamHours = HoursInWeek(held, weekStart) + claim.Duration.TotalHours;
        if (teamHours > team.WeeklyHours)
            return $"Your team {team.Name} has booked {HoursInWeek(held, weekStart):0.#} of its {team.WeeklyHours:0.#} hours in the week of {weekStart:yyyy-MM-dd}; " +
                   $"this reservation needs {claim.Duration.TotalHours:0.#} more. Book a shorter test, or in another week.";
        if (Depth(held, claim.StartUtc, claim.EndUtc) + 1 > team.MaxConcurrent)
        {
            var overlapping = held.Where(r => r.Overlaps(claim.StartUtc, claim.EndUtc)).OrderBy(r => r.StartUtc).ToList();
            return $"Your team {team.Name} already holds {List(overlapping)} at that time; the team may hold at most {Environments(team.MaxConcurrent)} at once. " +
                   $"{Instead(held, claim, rules, _ => team.MaxConcurrent)} or ask a team mate to free one.";
        }
        return null;
    }

    /// <summary>Whether [start, end) touches the busy hours (read in the company's zone); never when they are off.</summary>
    public static bool InPrimeTime(DateTime startUtc, DateTime endUtc, PrimeTimeOptions prime)
    {
        if (!prime.Enabled || !TimeZoneInfo.TryFindSystemTimeZoneById(prime.TimeZone, out var zone)) return false;
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(startUtc, zone)).AddDays(-1);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(endUtc, zone)).AddDays(1);
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            if (!prime.BusyDays.Contains(day.DayOfWeek)) continue;
            var (from, to) = (ToUtc(day, prime.Start, zone), ToUtc(day, prime.End, zone));
            if (from < endUtc && to > startUtc) return true;
        }
        return false;
    }

    public static string DescribePrimeTime(PrimeTimeOptions prime)
    {
        var named = prime.BusyDays.OrderBy(d => ((int)d + 6) % 7).ToArray();
        var dayText = named.SequenceEqual(PrimeTimeOptions.Weekdays) ? "weekdays"
            : named.Length == 7 ? "every day"
            : string.Join(", ", named.Select(d => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d)));
        return $"{dayText} {prime.Start:HH\\:mm}–{prime.End:HH\\:mm} {prime.TimeZone}";
    }

    /// <summary>The most of <paramref name="slots"/> that cover one instant of [start, end).</summary>
    public static int Depth(IEnumerable<HeldSlot> slots, DateTime startUtc, DateTime endUtc)
    {
        var overlapping = slots.Where(s => s.Overlaps(startUtc, endUtc)).ToList();
        // The cover only grows where a slot begins, so the instants worth counting are the start and each slot's start.
        return overlapping.Select(s => s.StartUtc > startUtc ? s.StartUtc : startUtc).Distinct()
            .Select(t => overlapping.Count(s => s.StartUtc <= t && s.EndUtc > t))
            .DefaultIfEmpty(0).Max();
    }

    /// <summary>
    /// The ended states whose reservations count against the week's hours, for the time they ran, when their run ended on
    /// the test's account (an infrastructure failure does not count, a reservation that never ran has nothing to count).
    /// </summary>
    public static readonly ReservationState[] RanStates =
        [ReservationState.Releasing, ReservationState.Completed, ReservationState.Failed, ReservationState.TimedOut, ReservationState.ForceReleased];

    /// <summary>The week's hours of <paramref name="slots"/> (counted in the week they start, as the weekly limit always has).</summary>
    public static double HoursInWeek(IEnumerable<HeldSlot> slots, DateTime weekStart) =>
        slots.Where(r => r.StartUtc >= weekStart && r.StartUtc < weekStart.AddDays(7)).Sum(r => (r.EndUtc - r.StartUtc).TotalHours);

    /// <summary>"From … your share allows it," at the first end of a held slot after which the claim's length fits under the cap.</summary>
    private static string Instead(IReadOnlyList<HeldSlot> counted, FairUseClaim claim, BookingOptions rules, Func<int, int> capFor)
    {
        foreach (var start in counted.Where(r => r.EndUtc > claim.StartUtc).Select(r => r.EndUtc).Distinct().Order())
        {
            var end = start + claim.Duration;
            var cap = capFor(InPrimeTime(start, end, rules.PrimeTime) ? rules.PrimeTime.MaxConcurrentPerUser : rules.MaxConcurrentPerUser);
            if (Depth(counted, start, end) + 1 <= cap) return $"The share allows this test from {TimeText.Utc(start)},";
        }
        return "Book a time when fewer are held,";
    }

    private static string List(IReadOnlyList<HeldSlot> slots)
    {
        var named = slots.Take(Named).Select(s => $"{s.EnvironmentName} ({TimeText.Utc(s.StartUtc)}–{s.EndUtc:HH:mm}, “{s.Title}”)").ToList();
        if (slots.Count > Named) named.Add($"{slots.Count - Named} more");
        return named.Count switch
        {
            1 => named[0],
            _ => string.Join(", ", named[..^1]) + " and " + named[^1],
        };
    }

    private static string Environments(int count) => count == 1 ? "1 environment" : $"{count} environments";

    private static DateTime ToUtc(DateOnly day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        // A time skipped by a clock change is read an hour later, as clocks do.
        if (zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
