using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Webhooks;

/// <summary>How Slack and Teams messages are delivered, from <c>LeaseBoard:Webhooks</c>.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "LeaseBoard:Webhooks";

    /// <summary>How long one post may take before it counts as "no answer" and is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00", ErrorMessage = "LeaseBoard:Webhooks:Timeout must be between 1 second and 1 minute.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(1, 20, ErrorMessage = "LeaseBoard:Webhooks:MaxAttempts must be between 1 and 20.")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the second attempt; it doubles after each further failure.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "LeaseBoard:Webhooks:FirstRetryDelay must be between 1 second and 1 hour.")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Hangfire cron of the pass that delivers due retries (and anything a restart left pending).</summary>
    [Required(ErrorMessage = "LeaseBoard:Webhooks:SweepCron is required, e.g. \"*/15 * * * * *\".")]
    public string SweepCron { get; set; } = "*/15 * * * * *";

    /// <summary>Delivered and failed messages are kept this long (the settings page shows the last result from the webhook itself).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00", ErrorMessage = "LeaseBoard:Webhooks:Retention must be between 1 hour and 365 days.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>The app's public address for the "Open LeaseBoard" link in messages; empty: no link.</summary>
    public string? PublicUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(PublicUrl) && !(Uri.TryCreate(PublicUrl, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
            yield return new ValidationResult($"LeaseBoard:Webhooks:PublicUrl '{PublicUrl}' is not an absolute http(s) URL, e.g. https://leaseboard.example.com/.",
                [nameof(PublicUrl)]);
    }
}
