namespace LeaseBoard.Domain;

/// <summary>
/// Where LeaseBoard posts messages in Slack or Teams: a person's own webhook (<see cref="OwnerId"/>, the
/// notification kinds they chose) or an admins' channel webhook (<see cref="ChannelTarget"/>: an environment key
/// or <see cref="AllEnvironments"/>, the <see cref="ChannelEvent"/>s it wants). The URL is a secret: only its
/// data-protected form and a hint are stored.
/// </summary>
public sealed class Webhook
{
    public const string AllEnvironments = "*";

    public int Id { get; set; }
    /// <summary>The person it belongs to; null for a channel webhook.</summary>
    public string? OwnerId { get; set; }
    public required string CreatedBy { get; set; }
    /// <summary>For a channel webhook: the environment key it watches, or <see cref="AllEnvironments"/>; null for a personal one.</summary>
    public string? ChannelTarget { get; set; }
    public ChatService Service { get; set; }
    /// <summary>The URL, protected with ASP.NET Core data protection (the key ring in the database).</summary>
    public required string ProtectedUrl { get; set; }
    /// <summary>What may be shown of the URL: host and its last four characters.</summary>
    public required string UrlHint { get; set; }
    /// <summary>Comma list of the <see cref="NotificationKind"/> (personal) or <see cref="ChannelEvent"/> (channel) names it wants.</summary>
    public string Kinds { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
    public DateTime? LastAttemptUtc { get; set; }
    public bool? LastSucceeded { get; set; }
    public string? LastResult { get; set; }

    public bool IsChannel => OwnerId is null;

    public static string JoinKinds<T>(IEnumerable<T> kinds) where T : struct, Enum =>
        string.Join(',', kinds.Distinct().Order().Select(k => k.ToString()));

    public static HashSet<T> ParseKinds<T>(string? kinds) where T : struct, Enum =>
        (kinds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => Enum.TryParse<T>(k, out var kind) ? kind : (T?)null).OfType<T>().ToHashSet();
}

public enum ChatService { Slack, Teams }

/// <summary>What an environment's channel hears of.</summary>
public enum ChannelEvent { Quarantined, NeedsAttention }

/// <summary>One message on its way to one webhook: the outbox row the delivery job works from.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public int WebhookId { get; set; }
    /// <summary>Once per (webhook, key): a channel message about one quarantine is written once, however many instances saw it.</summary>
    public required string DedupeKey { get; set; }
    public required string Title { get; set; }
    public required string Text { get; set; }
    public DateTime CreatedUtc { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptUtc { get; set; }
    public WebhookDeliveryState State { get; set; }
    public DateTime? DeliveredUtc { get; set; }
    public string? LastError { get; set; }
}

public enum WebhookDeliveryState { Pending, Delivered, Failed }
