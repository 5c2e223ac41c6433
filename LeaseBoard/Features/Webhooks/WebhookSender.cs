using System.Net;
using System.Text;
using LeaseBoard.Domain;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Webhooks;

public enum WebhookOutcome { Delivered, Rejected, RetryLater }

/// <summary>What one post came to, with a sentence for the settings page (it never contains the URL).</summary>
public sealed record WebhookSendResult(WebhookOutcome Outcome, string Message, int? Status = null)
{
    public bool Delivered => Outcome == WebhookOutcome.Delivered;
}

/// <summary>
/// Posts one message to one webhook: a typed client with a timeout on <see cref="TimeProvider"/>, no redirects and no
/// request logging (the URL is a secret). 2xx is delivered; 408, 429 and 5xx, a timeout or an unreachable host are worth
/// another try; any other 4xx is the webhook refusing, and trying again would not change that.
/// </summary>
public sealed partial class WebhookSender(IHttpClientFactory httpClients, IOptionsMonitor<WebhookOptions> options, TimeProvider clock, ILogger<WebhookSender> logger)
{
    public const string HttpClientName = "webhooks";

    public async Task<WebhookSendResult> SendAsync(int webhookId, ChatService service, string url, string hint, string title, string text, CancellationToken ct)
    {
        var timeout = options.CurrentValue.Timeout;
        using var deadline = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var body = WebhookMessages.Body(service, title, text, AppUrl());
        using var http = httpClients.CreateClient(HttpClientName);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                LogDelivered(webhookId, hint, status);
                return new WebhookSendResult(WebhookOutcome.Delivered, $"Delivered: {service} answered {status}.", status);
            }
            var answer = await ShortAnswerAsync(response, linked.Token);
            var result = Classify(service, response.StatusCode, answer);
            LogRefused(webhookId, hint, status, result.Outcome);
            return result;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            LogTimedOut(webhookId, hint, timeout);
            return new WebhookSendResult(WebhookOutcome.RetryLater, $"{service} did not answer within {timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(webhookId, hint, e.HttpRequestError);
            // The exception's message names host and port at most; scrub the URL anyway, in case a handler ever puts it there.
            return new WebhookSendResult(WebhookOutcome.RetryLater, $"Could not reach {new Uri(url).Host}: {e.Message.Replace(url, hint)}");
        }
    }

    public static WebhookSendResult Classify(ChatService service, HttpStatusCode code, string answer)
    {
        var status = (int)code;
        var said = answer.Length == 0 ? "" : $" (it said: {answer})";
        return code switch
        {
            HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError =>
                new(WebhookOutcome.RetryLater, $"{service} answered {status}{said}: trying again later.", status),
            HttpStatusCode.NotFound or HttpStatusCode.Gone =>
                new(WebhookOutcome.Rejected, $"{service} answered {status}: the webhook was removed or the URL is wrong{said}. Create a new one and add it again.", status),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new(WebhookOutcome.Rejected, $"{service} answered {status}: the webhook refuses messages (revoked or not allowed){said}. Check it in {service}.", status),
            HttpStatusCode.BadRequest =>
                new(WebhookOutcome.Rejected, $"{service} answered 400: it refused the message{said}. Is this really a {service} webhook URL?", status),
            _ when status is >= 300 and < 400 =>
                new(WebhookOutcome.Rejected, $"{service} answered {status}, a redirect: LeaseBoard does not follow them. Use the final webhook URL.", status),
            _ => new(WebhookOutcome.Rejected, $"{service} answered {status}{said}: the message was refused.", status),
        };
    }

    private string? AppUrl() => string.IsNullOrWhiteSpace(options.CurrentValue.PublicUrl) ? null : options.CurrentValue.PublicUrl;

    /// <summary>The first line of the answer, briefly (Slack says things like "invalid_token" or "no_service").</summary>
    private static async Task<string> ShortAnswerAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            text = text.ReplaceLineEndings(" ").Trim();
            return text.Length <= 200 ? text : text[..199] + "…";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return "";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} ({Hint}) delivered: {Status}")]
    private partial void LogDelivered(int webhookId, string hint, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} ({Hint}) answered {Status}: {Outcome}")]
    private partial void LogRefused(int webhookId, string hint, int status, WebhookOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} ({Hint}) did not answer within {Timeout}")]
    private partial void LogTimedOut(int webhookId, string hint, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} ({Hint}) could not be reached: {Error}")]
    private partial void LogUnreachable(int webhookId, string hint, HttpRequestError error);
}
