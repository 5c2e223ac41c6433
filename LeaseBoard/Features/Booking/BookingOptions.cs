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

    public TimeSpan Grid => TimeSpan.FromMinutes(GridMinutes);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinDuration > MaxDuration)
            yield return new ValidationResult("LeaseBoard:Booking:MinDuration must not exceed MaxDuration.", [nameof(MinDuration)]);
        if (MinDuration.Ticks % Grid.Ticks != 0 || MaxDuration.Ticks % Grid.Ticks != 0)
            yield return new ValidationResult("LeaseBoard:Booking:MinDuration and MaxDuration must be whole multiples of GridMinutes.", [nameof(GridMinutes)]);
        if (ChangeoverBuffer.Ticks % Grid.Ticks != 0)
            yield return new ValidationResult("LeaseBoard:Booking:ChangeoverBuffer must be a whole multiple of GridMinutes.", [nameof(ChangeoverBuffer)]);
    }
}
