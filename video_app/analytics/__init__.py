"""What the product measures about itself: how long each pipeline step takes and what it costs
(`StepPerformance`), and how creators use the wizard (`UserInteraction`). Staff read both on the
admin's analytics page."""
