import LSMTools

LSMCommand.mainGuarded()
