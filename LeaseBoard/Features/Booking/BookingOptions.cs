using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Booking;

/// <summary>The booking rules, bound from <c>LeaseBoard:Booking</c> and validated at start-up.</summary>
public sealed class BookingOptions : IValidatableObject
{
    public const string Section = "LeaseBoard:Booking";

    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00", ErrorMessage = "LeaseBoard:Booking:MinDuration must be between 5 minutes and 1 day.")]
    public TimeSpan MinDuration { get; set; } = TimeSpan.FromMinutes(20);

    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00", ErrorMessage = "LeaseBoard:Booking:MaxDuration must be between 5 minutes and 7 days.")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(3);

    [Range(1, 60, ErrorMessage = "LeaseBoard:Booking:GridMinutes must be between 1 and 60.")]
    public int GridMinutes { get; set; } = 5;

    /// <summary>How far in the past a start may lie, so that "now" (the current grid step) can be booked.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "LeaseBoard:Booking:PastTolerance must be between 0 and 1 hour.")]
    public TimeSpan PastTolerance { get; set; } = TimeSpan.FromMinutes(5);

    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00", ErrorMessage = "LeaseBoard:Booking:Horizon must be between 1 hour and 365 days.")]
    public TimeSpan Horizon { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Kept free after every reservation so the environment can be cleaned.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "02:00:00", ErrorMessage = "LeaseBoard:Booking:ChangeoverBuffer must be between 0 and 2 hours.")]
    public TimeSpan ChangeoverBuffer { get; set; } = TimeSpan.FromMinutes(10);

    [Range(1, 1000, ErrorMessage = "LeaseBoard:Booking:MaxUpcomingPerUser must be between 1 and 1000.")]
    public int MaxUpcomingPerUser { get; set; } = 10;

    [Range(1, 168, ErrorMessage = "LeaseBoard:Booking:MaxHoursPerWeekPerUser must be between 1 and 168.")]
    public double MaxHoursPerWeekPerUser { get; set; } = 24;

    /// <summary>How many environments one person may hold at overlapping times (so no one holds the whole pool).</summary>
    [Range(1, 100, ErrorMessage = "LeaseBoard:Booking:MaxConcurrentPerUser must be between 1 and 100.")]
    public int MaxConcurrentPerUser { get; set; } = 2;

    /// <summary>Busy hours with tighter rules (off unless enabled).</summary>
    public PrimeTimeOptions PrimeTime { get; set; } = new();

    /// <summary>Teams with a weekly budget and a concurrent cap of their own; a person's team is on their People row.</summary>
    public List<TeamOptions> Teams { get; set; } = [];

    public TimeSpan Grid => TimeSpan.FromMinutes(GridMinutes);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinDuration > MaxDuration)
            yield return new ValidationResult("LeaseBoard:Booking:MinDuration must not exceed MaxDuration.", [nameof(MinDuration)]);
        if (MinDuration.Ticks % Grid.Ticks != 0 || MaxDuration.Ticks % Grid.Ticks != 0)
            yield return new ValidationResult("LeaseBoard:Booking:MinDuration and MaxDuration must be whole multiples of GridMinutes.", [nameof(GridMinutes)]);
        if (ChangeoverBuffer.Ticks % Grid.Ticks != 0)
            yield return new ValidationResult("LeaseBoard:Booking:ChangeoverBuffer must be a whole multiple of GridMinutes.", [nameof(ChangeoverBuffer)]);
        foreach (var problem in PrimeTime.Problems(this)) yield return new ValidationResult($"LeaseBoard:Booking:PrimeTime:{problem}", [nameof(PrimeTime)]);
        foreach (var (team, index) in Teams.Select((t, i) => (t, i)))
            foreach (var problem in team.Problems())
                yield return new ValidationResult($"LeaseBoard:Booking:Teams:{index}: {problem}", [nameof(Teams)]);
        if (Teams.GroupBy(t => t.Name.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            yield return new ValidationResult($"LeaseBoard:Booking:Teams names the team '{twice.Key}' twice.", [nameof(Teams)]);
    }
}

/// <summary>
/// Busy hours (e.g. weekdays 09:00–18:00 in the company's zone): a reservation that touches them may last at most
/// <see cref="MaxDuration"/> and a person may hold at most <see cref="MaxConcurrentPerUser"/> environments at once.
/// </summary>
public sealed class PrimeTimeOptions
{
    public bool Enabled { get; set; }
    /// <summary>
    /// The busy days; empty means Monday to Friday. (The configuration binder adds configured items to a default
    /// array instead of replacing it, so the default lives in <see cref="BusyDays"/>, not here.)
    /// </summary>
    public DayOfWeek[] Days { get; set; } = [];
    public IReadOnlyList<DayOfWeek> BusyDays => Days.Length > 0 ? Days.Distinct().ToArray() : Weekdays;
    internal static readonly DayOfWeek[] Weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
    public TimeOnly Start { get; set; } = new(9, 0);
    public TimeOnly End { get; set; } = new(18, 0);
    /// <summary>An IANA (or Windows) time zone id: the company's zone, in which the busy hours are read.</summary>
    public string TimeZone { get; set; } = "UTC";
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromHours(2);
    public int MaxConcurrentPerUser { get; set; } = 1;

    internal IEnumerable<string> Problems(BookingOptions booking)
    {
        if (!Enabled) yield break;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _)) yield return $"TimeZone '{TimeZone}' is not a time zone this machine knows (use an IANA id such as Europe/Berlin).";
        if (Start >= End) yield return "Start must lie before End (busy hours within one day).";
        if (MaxDuration < booking.MinDuration || MaxDuration > booking.MaxDuration)
            yield return "MaxDuration must lie between the booking's MinDuration and MaxDuration.";
        if (MaxConcurrentPerUser < 1 || MaxConcurrentPerUser > booking.MaxConcurrentPerUser)
            yield return "MaxConcurrentPerUser must be at least 1 and at most the booking's MaxConcurrentPerUser.";
    }
}

/// <summary>A team: its members share a weekly budget of hours and a cap on environments held at once.</summary>
public sealed class TeamOptions
{
    public string Name { get; set; } = "";
    /// <summary>The Entra group (object id) whose members belong to the team when they sign in; empty for teams set by an admin.</summary>
    public string EntraGroup { get; set; } = "";
    public double WeeklyHours { get; set; } = 60;
    public int MaxConcurrent { get; set; } = 3;

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Trim().Length > 64) yield return "Name is required (at most 64 characters).";
        if (WeeklyHours is < 1 or > 168 * 100) yield return $"WeeklyHours of '{Name}' must be between 1 and 16800.";
        if (MaxConcurrent is < 1 or > 100) yield return $"MaxConcurrent of '{Name}' must be between 1 and 100.";
    }
}
