using System.Text.Json.Nodes;
using LeaseBoard.Domain;

namespace LeaseBoard.Features.Webhooks;

/// <summary>
/// The bodies Slack and Teams expect. Slack: an incoming webhook's <c>text</c> (the notification fallback) and a
/// mrkdwn section block. Teams: a Workflows "post to a channel when a webhook request is received" message with one
/// Adaptive Card 1.4 attachment.
/// </summary>
public static class WebhookMessages
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";
    public const string AdaptiveCardSchema = "http://adaptivecards.io/schemas/adaptive-card.json";

    public static string Body(ChatService service, string title, string text, string? appUrl) => service switch
    {
        ChatService.Slack => Slack(title, text, appUrl).ToJsonString(),
        ChatService.Teams => Teams(title, text, appUrl).ToJsonString(),
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, null),
    };

    public static JsonObject Slack(string title, string text, string? appUrl)
    {
        var link = appUrl is null ? "" : $"\n<{appUrl}|Open LeaseBoard>";
        return new JsonObject
        {
            ["text"] = $"{title}: {text}",
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{EscapeSlack(title)}*\n{EscapeSlack(text)}{link}" },
            }),
        };
    }

    public static JsonObject Teams(string title, string text, string? appUrl)
    {
        var card = new JsonObject
        {
            ["$schema"] = AdaptiveCardSchema,
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = new JsonArray(
                new JsonObject { ["type"] = "TextBlock", ["text"] = title, ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
                new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true }),
        };
        if (appUrl is not null)
            card["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open LeaseBoard", ["url"] = appUrl });
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = AdaptiveCardContentType,
                ["contentUrl"] = null,
                ["content"] = card,
            }),
        };
    }

    // Slack's mrkdwn treats these three as control characters (links, mentions); the rest is plain text.
    private static string EscapeSlack(string value) => value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
