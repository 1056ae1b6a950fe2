using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// A model whose training forward also computes an auxiliary loss, already weighted as its declaration says, that the
/// trainer adds to the objective's loss before the backward pass (the Compressive Transformer's attention-reconstruction
/// loss). The trainer calls <see cref="TakeAuxiliaryLoss"/> after each training forward; the loss it reports and
/// validates stays the objective's alone.
/// </summary>
public interface IAuxiliaryLossModel
{
    /// <summary>
    /// The weighted auxiliary loss of the model's last forward (a scalar with its gradient history), or null when it
    /// computed none (evaluation, no gradients, nothing to compress yet). Taking it clears it; the caller disposes it.
    /// </summary>
    Tensor? TakeAuxiliaryLoss();
}

/// <summary>
/// Where a generated model keeps the auxiliary loss of its last forward until the trainer takes it
/// (<see cref="IAuxiliaryLossModel"/>): outside the forward's dispose scope, replaced by each forward, so a loss nobody
/// takes is freed by the next forward instead of accumulating.
/// </summary>
public sealed class AuxiliaryLossSlot
{
    private Tensor? _loss;

    /// <summary>Keeps <paramref name="loss"/> times <paramref name="weight"/> (or nothing, for null) in place of the previous loss.</summary>
    public void Set(Tensor? loss, double weight)
    {
        _loss?.Dispose();
        _loss = loss is null ? null : (loss * weight).DetachFromDisposeScope();
    }

    /// <summary>The kept loss, or null; the slot is empty afterwards and the caller owns the tensor.</summary>
    public Tensor? Take()
    {
        var loss = _loss;
        _loss = null;
        return loss;
    }
}
