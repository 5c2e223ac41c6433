using LeaseBoard.Features.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LeaseBoard.Setup;

public static class WebhooksSetup
{
    /// <summary>Slack and Teams webhooks: the outbox, the sender, the delivery jobs and the settings (services only; tests build this part alone).</summary>
    public static IServiceCollection AddWebhookServices(this IServiceCollection services)
    {
        services.AddValidatedOptions<WebhookOptions>(WebhookOptions.Section);
        services.TryAddSingleton<WebhookOutbox>();
        // The timeout is the sender's own (on TimeProvider); no redirects (a redirect could carry the message elsewhere);
        // and no request logging: the default handlers would log the URL, which is a secret.
        services.AddHttpClient(WebhookSender.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
            .RemoveAllLoggers();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDeliverer>();
        services.AddSingleton<WebhookSettings>();
        return services;
    }

    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddWebhookServices();
        builder.Services.AddSingleton<WebhookWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookWatcher>());
        builder.Services.AddHostedService<WebhookStartup>();
        return builder;
    }
}
