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

builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// Malformed JSON and unbindable parameters answer 400 (as problem details, through the status-code pages) in
// every environment instead of throwing in Development.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);

builder.Services.AddOptions<OrdersOptions>().BindConfiguration(OrdersOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<RedisOrderStore>();
builder.Services.AddSingleton<RedisInventory>();
builder.Services.AddSingleton<RedisPayments>();
builder.Services.AddSingleton<IOrderWorkflows, OrderWorkflows>();

var app = builder.Build();

await app.Services.GetRequiredService<RedisInventory>().SeedAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapOrdersApi();
app.MapInventoryApi();
app.MapPricingApis();
app.MapPaymentsApi();
app.MapUserUpdatedApi();
app.MapDefaultEndpoints();

app.Run();
