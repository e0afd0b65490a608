using Onboarding.OrderService.Application;

namespace Onboarding.OrderService.Workflows;

/// <summary>
/// Starts an order's workflows (the seed's shapes): the processing chain validate_inventory → calculate_shipping →
/// process_payment → send_confirmation, and the fulfillment chord [reserve_inventory, calculate_taxes,
/// validate_shipping_address, check_fraud_score] → finalize_order_preparation (status ready_to_ship).
/// </summary>
internal interface IOrderWorkflows
{
    Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default);

    Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default);
}

/// <param name="WorkflowId">The workflow's root id: <c>IWorkflowStatusReader</c> reads the step tree from it.</param>
/// <param name="StepTasks">Step name (the task's short name) → task id.</param>
internal sealed record WorkflowStarted(string WorkflowId, IReadOnlyDictionary<string, string> StepTasks);
