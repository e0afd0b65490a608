using Onboarding.Contracts.Tasks;
using Onboarding.OrderService.Application;

namespace Onboarding.OrderService.Workflows;

/// <summary>
/// Starts an order's workflows. Target shapes (the seed's): the processing chain validate_inventory →
/// calculate_shipping → process_payment → send_confirmation, and the fulfillment chord
/// [reserve_inventory, calculate_taxes, validate_shipping_address, check_fraud_score] → finalize_order_preparation,
/// each sent with one <c>ApplyAsync(canvas)</c> once the workflow engine lands; until then
/// <see cref="InterimOrderWorkflows"/> runs the same stages.
/// </summary>
internal interface IOrderWorkflows
{
    Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default);

    Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default);
}

/// <param name="WorkflowId">The id the 202 answer reports (for now the first step's task id).</param>
/// <param name="StepTasks">Step name (the task's short name) → task id.</param>
internal sealed record WorkflowStarted(string WorkflowId, IReadOnlyDictionary<string, string> StepTasks);

/// <summary>INTERIM: the seed's order workflows as stages of <see cref="InterimStageRunner"/>.</summary>
internal sealed class InterimOrderWorkflows(InterimStageRunner runner) : IOrderWorkflows
{
    public static readonly IReadOnlyList<IReadOnlyList<string>> Processing =
    [
        [OrderTasks.ValidateInventory],
        [OrderTasks.CalculateShipping],
        [OrderTasks.ProcessPayment],
        [OrderTasks.SendConfirmation],
    ];

    public static readonly IReadOnlyList<IReadOnlyList<string>> Fulfillment =
    [
        [OrderTasks.ReserveInventory, OrderTasks.CalculateTaxes, OrderTasks.ValidateShippingAddress, OrderTasks.CheckFraudScore],
        [OrderTasks.FinalizeOrderPreparation],
    ];

    public Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default) =>
        StartAsync(Processing, order, cancellationToken);

    public Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default) =>
        StartAsync(Fulfillment, order, cancellationToken);

    private async Task<WorkflowStarted> StartAsync(IReadOnlyList<IReadOnlyList<string>> shape, Order order, CancellationToken cancellationToken)
    {
        var args = new OrderTaskArgs(order.Id);
        var stages = shape
            .Select(stage => (IReadOnlyList<StagedTask>)[.. stage.Select(name => new StagedTask(name, args, Guid.CreateVersion7().ToString()))])
            .ToList();
        await runner.StartAsync(stages, cancellationToken).ConfigureAwait(false);
        var steps = stages.SelectMany(s => s).ToDictionary(s => s.TaskName[(s.TaskName.LastIndexOf('.') + 1)..], s => s.TaskId, StringComparer.Ordinal);
        return new WorkflowStarted(stages[0][0].TaskId, steps);
    }
}
