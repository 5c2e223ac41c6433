using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Notifications;

/// <summary>How long notifications are kept and when "ends soon" is sent, from <c>LeaseBoard:Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string Section = "LeaseBoard:Notifications";

    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00", ErrorMessage = "LeaseBoard:Notifications:Retention must be between 1 hour and 365 days.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(14);

    [Range(typeof(TimeSpan), "00:01:00", "02:00:00", ErrorMessage = "LeaseBoard:Notifications:EndsSoonLead must be between 1 minute and 2 hours.")]
    public TimeSpan EndsSoonLead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Hangfire cron of the sweep that sends "ends soon" and prunes old notifications (six fields: seconds first).</summary>
    [Required(ErrorMessage = "LeaseBoard:Notifications:SweepCron is required, e.g. \"0 * * * * *\".")]
    public string SweepCron { get; set; } = "0 * * * * *";
}
