namespace Aspire.Hosting;

/// <summary>What the dashboard links for the broker: AMQP first, then the management UI, never the Erlang port.</summary>
internal static class RabbitMQUrlsBuilderExtensions
{
    /// <summary>Sorts before every other URL: the dashboard shows the highest display order first.</summary>
    internal const int AmqpDisplayOrder = 1000;

    /// <summary>
    /// Shows the AMQP endpoint as <c>amqp://host:port</c> (the address a Celery or RabbitMQ client is given) in first
    /// place, and drops the URLs of <paramref name="hiddenEndpoints"/>: the executable's Erlang distribution port
    /// sorted first by name and looked like the broker's address, and a client pointed at it times out.
    /// </summary>
    public static IResourceBuilder<T> WithAmqpUrlFirst<T>(this IResourceBuilder<T> builder, string amqpEndpoint, params string[] hiddenEndpoints)
        where T : IResourceWithEndpoints =>
        builder
            .WithUrlForEndpoint(amqpEndpoint, url =>
            {
                if (Uri.TryCreate(url.Url, UriKind.Absolute, out var uri))
                {
                    url.Url = new UriBuilder(uri) { Scheme = "amqp", Port = uri.Port }.Uri.ToString().TrimEnd('/');
                }

                url.DisplayText = "AMQP";
                // Obsolete only in shape (a field to become a property); it is still what the dashboard sorts by.
#pragma warning disable CS0618
                url.DisplayOrder = AmqpDisplayOrder;
#pragma warning restore CS0618
            })
            .WithUrls(context => context.Urls.RemoveAll(url => url.Endpoint is { } endpoint && hiddenEndpoints.Contains(endpoint.EndpointName)));
}
