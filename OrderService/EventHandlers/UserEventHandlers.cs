using Onboarding.Contracts.Events;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Infrastructure;
using Onboarding.TaskEngine.Events;

namespace Onboarding.OrderService.EventHandlers;

// OrderService's subscriptions; the engine skips an event id this service handled, and each effect is idempotent.

/// <summary><c>user.updated</c>: drops the cached customer snapshot, so the next read does not serve stale contact data.</summary>
internal sealed class UserUpdatedHandler(RedisOrderStore orders, ILogger<UserUpdatedHandler> logger) : IEventHandler<UserUpdated>
{
    public async Task HandleAsync(UserUpdated payload, EventContext context, CancellationToken cancellationToken)
    {
        var dropped = await orders.InvalidateCustomerAsync(payload.UserId);
        OrderServiceLog.CustomerCacheInvalidated(logger, payload.UserId, dropped, context.Envelope.EventId);
    }
}

/// <summary>
/// <c>user.deleted</c>: GDPR clean-up of the user's orders and cached snapshot; stock still reserved by an unfinished
/// order goes back to inventory first.
/// </summary>
internal sealed class UserDeletedHandler(RedisOrderStore orders, RedisInventory inventory, ILogger<UserDeletedHandler> logger)
    : IEventHandler<UserDeleted>
{
    public async Task HandleAsync(UserDeleted payload, EventContext context, CancellationToken cancellationToken)
    {
        var (open, _) = await orders.ListAsync(payload.UserId, null, 0, int.MaxValue);
        foreach (var order in open.Where(o => o.Status is OrderStatuses.Pending or OrderStatuses.Processing or OrderStatuses.Paid))
        {
            await inventory.ReleaseAsync(order.Id);
        }

        var deleted = await orders.DeleteUserDataAsync(payload.UserId);
        OrderServiceLog.UserDataDeleted(logger, payload.UserId, deleted.Count, context.Envelope.EventId);
    }
}
