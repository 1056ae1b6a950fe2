using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>One attention declaration of a model: the attention, and the layers it applies to.</summary>
    /// <param name="Attention">The attention family and its settings.</param>
    /// <param name="Layers">The layers it applies to.</param>
    public sealed record LayerAttention(AttentionSpec Attention, LayerSelector Layers);
}
