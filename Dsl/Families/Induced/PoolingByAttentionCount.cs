namespace XformerDsl.Specs
{
    /// <summary>
    /// The size of Set Transformer's pooling by multihead attention (PMA_k, a MAB whose queries are k learned seeds),
    /// which both inducing-point attention (k = Points) and attention pooling (k = 1) hold: the seeds, the query, key,
    /// value and feed-forward Linears, and two norms of the model's kind.
    /// </summary>
    public static class PoolingByAttentionCount
    {
        /// <summary>Trainable parameters of a PMA with <paramref name="seeds"/> seeds in <paramref name="model"/>.</summary>
        public static long Parameters(ModelSpec model, int seeds)
        {
            long dim = model.Dim;
            return seeds * dim + 4L * dim * dim + (model.Bias ? 4L * dim : 0) + 2L * ModelCard.NormParameters(model);
        }

        /// <summary>
        /// Multiply-accumulates of a PMA with <paramref name="seeds"/> seeds over <paramref name="length"/> tokens: the
        /// key and value projections of every token (2·Dim² each), the seeds' queries and feed-forward (2·k·Dim²), and the
        /// attention (2·k·Dim per token).
        /// </summary>
        public static long MacsPerSequence(ModelSpec model, int seeds, int length)
        {
            long dim = model.Dim;
            return length * (2L * dim * dim + 2L * seeds * dim) + 2L * seeds * dim * dim;
        }

        /// <summary>The heads of attention pooling: the last layer's attention's heads (0 when the model has no layers).</summary>
        public static int Heads(ModelSpec model)
        {
            var attentionOfLayer = model.AttentionIndexOfLayers();
            if (attentionOfLayer.Count == 0)
                return 0;
            int index = attentionOfLayer[attentionOfLayer.Count - 1];
            return index >= 0 && index < model.Attention.Count ? model.Attention[index].Attention.Heads : 0;
        }
    }
}
