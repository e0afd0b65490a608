using Microsoft.Extensions.Http.Resilience;
using Onboarding.Contracts.Events;
using Onboarding.OrderService.Apis;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.EventHandlers;
using Onboarding.OrderService.Infrastructure;
using Onboarding.OrderService.Workflows;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports;
// this service sends workflows and reads their status (no worker), and subscribes to user.updated and user.deleted.
builder.AddTaskEngine("rabbitmq", "redis")
    .AddEventHandler<UserUpdated, UserUpdatedHandler>(UserEventTypes.Updated)
    .AddEventHandler<UserDeleted, UserDeletedHandler>(UserEventTypes.Deleted);

// Problem details for every error, JSON errors naming the field, ids checked, the OpenAPI document (ServiceDefaults).
builder.AddHttpApiDefaults();

builder.Services.AddOptions<OrdersOptions>().BindConfiguration(OrdersOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<RedisOrderStore>();
builder.Services.AddSingleton<RedisInventory>();
builder.Services.AddSingleton<RedisPayments>();
builder.Services.AddSingleton<IOrderWorkflows, OrderWorkflows>();
// Asks UserService whether an order's user exists, over service discovery (the AppHost's WithReference(userservice)).
builder.Services.AddHttpClient<UserDirectory>(http => http.BaseAddress = new Uri(UserDirectory.ServiceAddress));
// A creation request waits on this check: give up within seconds (and accept the order unverified) rather than the
// standard handler's 30 s; the circuit breaker then answers at once while UserService stays down. The standard
// handler ServiceDefaults adds names its options "<client name>-standard"; a typed client is named after its type.
builder.Services.Configure<HttpStandardResilienceOptions>($"{nameof(UserDirectory)}-standard", options =>
{
    options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
    options.Retry.MaxRetryAttempts = 2;
    options.Retry.Delay = TimeSpan.FromMilliseconds(200);
    options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
});

var app = builder.Build();

await app.Services.GetRequiredService<RedisInventory>().SeedAsync();

app.UseHttpApiDefaults();
app.MapOrdersApi();
app.MapInventoryApi();
app.MapPricingApis();
app.MapPaymentsApi();
app.MapUserUpdatedApi();
app.MapDefaultEndpoints();

app.Run();
