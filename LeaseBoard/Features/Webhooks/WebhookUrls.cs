using System.Net;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.Webhooks;

/// <summary>Checks a pasted webhook URL and makes the hint that is all anyone sees of it afterwards.</summary>
public static class WebhookUrls
{
    public const int MaxLength = 2000;

    /// <summary>Null when the URL may be saved, else a sentence saying what is wrong with it (never repeating the URL).</summary>
    public static string? Problem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "Paste the webhook URL.";
        url = url.Trim();
        if (url.Length > MaxLength) return $"That URL is longer than {MaxLength} characters: it is not a webhook URL.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return "That is not a web address: a webhook URL starts with https://.";
        if (uri.Scheme == "http" && !IsLoopback(uri))
            return "The URL must start with https:// (plain http only for a listener on this machine).";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "The URL must not carry a user name or password.";
        return null;
    }

    /// <summary>The host the service is expected on; a company proxy elsewhere is accepted, and the hint says which service it was saved as.</summary>
    public static bool IsUsualHost(ChatService service, string url) =>
        Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) && service switch
        {
            ChatService.Slack => uri.Host.Equals("hooks.slack.com", StringComparison.OrdinalIgnoreCase),
            ChatService.Teams => uri.Host.EndsWith(".logic.azure.com", StringComparison.OrdinalIgnoreCase)
                                 || uri.Host.EndsWith(".api.powerplatform.com", StringComparison.OrdinalIgnoreCase)
                                 || uri.Host.EndsWith(".webhook.office.com", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    /// <summary><c>https://hooks.slack.com/…/a1B2</c>: the host and the last four characters, enough to tell two webhooks apart.</summary>
    public static string Hint(string url)
    {
        var uri = new Uri(url.Trim());
        var tail = url.Trim().TrimEnd('/');
        tail = tail.Length > 4 ? tail[^4..] : "";
        return $"{uri.Scheme}://{uri.Authority}/…{tail}";
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
