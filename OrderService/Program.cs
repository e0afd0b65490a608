using Onboarding.Contracts.Events;
using Onboarding.Contracts;
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
    .WithDefaultRoutes(TaskRoutes.Seed)
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
builder.Services.AddUserDirectory();

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
